"use strict";
// Stops the alerts of a subscription from the link every alert carries, desabonnement.html#jeton=<token>
// (POST /alerts/unsubscribe). The token is removed from the address bar once read.

(async function desabonnement() {
  const state = document.getElementById("etat");
  const token = Permis.fragment().get("jeton") || "";
  Permis.forgetFragment();
  if (!token) {
    Permis.showMessage(state, "Ce lien de désabonnement est incomplet : ouvrez de nouveau le lien reçu dans "
      + "l'alerte (courriel ou SMS), en entier.", "echec");
    return;
  }
  const result = await Permis.callApi("/alerts/unsubscribe", { method: "POST", body: { token } });
  Permis.showMessage(state, result.data.message, result.ok ? "succes" : "echec");
  document.getElementById("suite").hidden = !result.ok;
})();
