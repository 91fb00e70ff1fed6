"use strict";
// Candidate sign-up: POST /accounts/candidates with the ALTCHA proof; per-field errors from the API.

(function inscriptionCandidat() {
  const form = document.getElementById("formulaire");
  const button = document.getElementById("envoyer");
  const byId = (id) => document.getElementById(id);
  const value = (id) => byId(id).value.trim();
  const readAddress = Permis.bindAddress();
  const antirobot = Permis.bindAntirobot(byId("altcha"), byId("etat-altcha"));

  const readBirthPlace = Permis.bindBirthPlace();

  // The form's own checks, beyond the required fields.
  function ownChecks() {
    return Permis.checkRequired(form).concat(readBirthPlace.checks());
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    const altcha = await Permis.checkedProof(form, button, antirobot, ownChecks);
    if (!altcha) return;
    const body = {
      birth_name: value("birth_name"),
      first_names: value("first_names"),
      sex: form.querySelector('input[name="sex"]:checked').value,
      birth_date: byId("birth_date").value,
      birth_place: readBirthPlace(),
      email: value("email"),
      mobile_phone: value("mobile_phone"),
      address: readAddress(),
      altcha,
      terms_accepted: byId("terms_accepted").checked,
    };
    if (value("usage_name")) body.usage_name = value("usage_name");
    Permis.busy(button, true, "Création du compte…");
    const result = await Permis.callApi("/accounts/candidates", { method: "POST", body });
    Permis.busy(button, false);
    if (!result.ok) {
      // A proof serves once: after any refusal a new one is needed (the box is unchecked).
      antirobot.reset();
      Permis.showErrors(form, result.data);
      const altchaError = byId("erreur-altcha");
      if (!altchaError.textContent) {
        altchaError.textContent = "Cochez de nouveau la case avant de renvoyer le formulaire.";
      }
      return;
    }
    byId("bloc-formulaire").hidden = true;
    const success = byId("bloc-succes");
    byId("message-succes").textContent = result.data.message;
    byId("echeance").textContent = "Le lien d'activation est valable jusqu'au "
      + Permis.formatDate(result.data.activation_deadline, true) + ".";
    success.hidden = false;
    success.focus();
    Permis.siteConfig().then((config) => {
      success.querySelectorAll(".lien-local").forEach((item) => { item.hidden = !config.local; });
    }, () => {}); // no config: the local links stay hidden
  });
})();
