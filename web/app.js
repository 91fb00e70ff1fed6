"use strict";
// Home page: the state of the service (GET /health), shown in a small section at the bottom.

(async function accueil() {
  const state = document.getElementById("etat-api");
  const result = await Permis.callApi("/health");
  if (!result.ok) {
    Permis.showMessage(state, "Le service ne répond pas pour l'instant : réessayez dans quelques instants.", "attention");
    return;
  }
  Permis.showMessage(state, "Le service fonctionne normalement.", "succes");
  document.getElementById("stage").textContent = result.data.stage;
  document.getElementById("version").textContent = result.data.version;
  document.getElementById("details-api").hidden = false;
})();
