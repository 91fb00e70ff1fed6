"use strict";
// The sign-up pages' shared form (gabarits/inscription.html): the checks, the ALTCHA proof, the
// POST, the API's per-field errors, then the "check your mailbox" block. Each page's script gives
// its path, its body and its own checks: Inscription.bind("/accounts/schools", readBody).

window.Inscription = (function inscription() {
  function bind(path, readBody, ownChecks) {
    const form = document.getElementById("formulaire");
    const button = document.getElementById("envoyer");
    const antirobot = Permis.bindAntirobot(form.querySelector("altcha-widget"));

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (button.disabled) return;
      const altcha = await Permis.checkedProof(form, button, antirobot, ownChecks);
      if (!altcha) return;
      Permis.busy(button, true, "Création du compte…");
      const body = { ...readBody(), altcha, terms_accepted: document.getElementById("terms_accepted").checked };
      const result = await Permis.callApi(path, { method: "POST", body });
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
  }

  return { bind };
})();
