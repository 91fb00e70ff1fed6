"use strict";
// Confirms a new email address from the emailed link, confirmer-adresse.html#jeton=<token>
// (POST /me/email/confirm). The token is removed from the address bar once read.

(async function confirmerAdresse() {
  const state = document.getElementById("etat");
  const token = Permis.fragment().get("jeton") || "";
  Permis.forgetFragment();
  if (!token) {
    Permis.showMessage(state, "Ce lien de confirmation est incomplet : ouvrez de nouveau le lien reçu par courriel, "
      + "en entier. Si le problème persiste, refaites le changement d'adresse depuis votre espace.", "echec");
    document.getElementById("suite").hidden = false;
    return;
  }
  const result = await Permis.callApi("/me/email/confirm", { method: "POST", body: { token } });
  Permis.showMessage(state, result.data.message, result.ok ? "succes" : "echec");
  document.getElementById("suite").hidden = false;
})();
