"use strict";
// Public tracking: POST /suivi with the request number and the ALTCHA proof; the status and its date.

(function suivi() {
  // The status as a DSFR badge: its colour says whether all goes well, the person must act, or it ended badly.
  const BADGES = {
    brouillon: "fr-badge--new", "attente-validation-usager": "fr-badge--warning", "complement-demande": "fr-badge--warning",
    expiree: "fr-badge--error", rejetee: "fr-badge--error", retourne: "fr-badge--error", detruit: "fr-badge--error",
    validee: "fr-badge--success", "disponible-bureau-de-poste": "fr-badge--success", "titre-remis": "fr-badge--success",
  };
  const byId = (id) => document.getElementById(id);
  const form = byId("formulaire");
  const button = byId("envoyer");
  const antirobot = Permis.bindAntirobot(form.querySelector("altcha-widget"));
  const number = Permis.fragment().get("demande");
  if (number && /^\d{12}$/.test(number)) byId("request_id").value = number;

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    const altcha = await Permis.checkedProof(form, button, antirobot);
    if (!altcha) return;
    Permis.busy(button, true, "Recherche…");
    const result = await Permis.callApi("/suivi", { method: "POST",
      body: { request_id: byId("request_id").value.trim(), altcha } });
    Permis.busy(button, false);
    antirobot.reset(); // a proof serves once: the next search checks the box again
    const shown = byId("bloc-resultat");
    if (!result.ok) {
      shown.hidden = true;
      if (result.data && result.data.code === "request_unknown") {
        Permis.showErrors(form, Permis.formErrors([{ errorId: "erreur-request_id", message: result.data.message }]));
      } else {
        Permis.showErrors(form, result.data);
      }
      return;
    }
    const answer = result.data;
    byId("numero").textContent = answer.request_id;
    byId("demarche").textContent = answer.procedure_label;
    const badge = byId("statut");
    badge.textContent = answer.status_label;
    badge.className = "fr-badge " + (BADGES[answer.status] || "fr-badge--info");
    badge.dataset.statut = answer.status; // its next step is said just below (the browser tests check it)
    byId("depuis").textContent = Permis.formatDate(answer.since, true);
    byId("explication").textContent = answer.explanation;
    byId("lien-alertes").href = "alertes.html#demande=" + encodeURIComponent(answer.request_id);
    shown.hidden = false;
    shown.focus();
  });
})();
