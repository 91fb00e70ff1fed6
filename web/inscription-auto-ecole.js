"use strict";
// School sign-up: POST /accounts/schools with the ALTCHA proof; per-field errors from the API.

(function inscriptionAutoEcole() {
  const form = document.getElementById("formulaire");
  const button = document.getElementById("envoyer");
  const readAddress = Permis.bindAddress();
  const antirobot = Permis.bindAntirobot(document.getElementById("altcha"), document.getElementById("etat-altcha"));
  const value = (id) => document.getElementById(id).value.trim();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    const altcha = await Permis.checkedProof(form, button, antirobot);
    if (!altcha) return;
    Permis.busy(button, true, "Création du compte…");
    const result = await Permis.callApi("/accounts/schools", {
      method: "POST",
      body: {
        birth_name: value("birth_name"),
        first_name: value("first_name"),
        email: value("email"),
        company_name: value("company_name"),
        agrement_number: value("agrement_number"),
        address: readAddress(),
        altcha,
        terms_accepted: document.getElementById("terms_accepted").checked,
      },
    });
    Permis.busy(button, false);
    if (!result.ok) {
      // A proof serves once: after any refusal a new one is needed (the box is unchecked).
      antirobot.reset();
      Permis.showErrors(form, result.data);
      const altchaError = document.getElementById("erreur-altcha");
      if (!altchaError.textContent) {
        altchaError.textContent = "Cochez de nouveau la case avant de renvoyer le formulaire.";
      }
      return;
    }
    document.getElementById("bloc-formulaire").hidden = true;
    const success = document.getElementById("bloc-succes");
    document.getElementById("message-succes").textContent = result.data.message;
    document.getElementById("echeance").textContent = "Le lien d'activation est valable jusqu'au "
      + Permis.formatDate(result.data.activation_deadline, true) + ".";
    success.hidden = false;
    success.focus();
    Permis.siteConfig().then((config) => {
      success.querySelectorAll(".lien-local").forEach((item) => { item.hidden = !config.local; });
    }, () => {}); // no config: the local links stay hidden
  });
})();
