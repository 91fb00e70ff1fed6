"use strict";
// Alert subscriptions (no account needed): POST /alerts/subscriptions with the ALTCHA proof, then
// POST /alerts/confirmation with the 6-digit code sent to the address. The API answers the same
// whether or not the number is a request: the page says so.

(function alertes() {
  const byId = (id) => document.getElementById(id);
  const form = byId("formulaire");
  const codeForm = byId("formulaire-code");
  const button = byId("envoyer");
  const antirobot = Permis.bindAntirobot(form.querySelector("altcha-widget"));
  const channel = () => (document.querySelector('input[name="channel"]:checked') || {}).value || "email";
  let target = null; // what the code confirms: the number, the channel and the address as typed
  const number = Permis.fragment().get("demande"); // from the tracking page
  if (number && /^\d{12}$/.test(number)) byId("request_id").value = number;

  document.querySelectorAll('input[name="channel"]').forEach((radio) => radio.addEventListener("change", () => {
    const sms = channel() === "sms";
    byId("libelle-adresse").textContent = sms ? "Numéro de téléphone portable" : "Adresse électronique";
    byId("aide-adresse").textContent = sms ? "Exemple : 06 12 34 56 78" : "Exemple : prenom.nom@exemple.fr";
    byId("address").type = sms ? "tel" : "email";
    byId("address").autocomplete = sms ? "tel" : "email";
    byId("address").inputMode = sms ? "tel" : "email";
  }));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    const altcha = await Permis.checkedProof(form, button, antirobot);
    if (!altcha) return;
    target = { request_id: byId("request_id").value.trim(), channel: channel(), address: byId("address").value.trim() };
    Permis.busy(button, true, "Envoi du code…");
    const result = await Permis.callApi("/alerts/subscriptions", { method: "POST", body: { ...target, altcha } });
    Permis.busy(button, false);
    antirobot.reset(); // a proof serves once
    if (!result.ok) {
      Permis.showErrors(form, result.data);
      return;
    }
    Permis.showMessage(byId("message-envoi"), result.data.message, "info");
    byId("bloc-abonnement").hidden = true;
    codeForm.hidden = false;
    codeForm.reset();
    Permis.showMessage(byId("etat-code"), "");
    byId("bloc-code").hidden = false;
    byId("bloc-code").focus();
  });

  codeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    Permis.clearErrors(codeForm);
    const missing = Permis.checkRequired(codeForm);
    if (missing.length || !target) {
      Permis.showErrors(codeForm, Permis.formErrors(missing));
      return;
    }
    const confirmButton = byId("confirmer");
    Permis.busy(confirmButton, true, "Confirmation…");
    const result = await Permis.callApi("/alerts/confirmation", { method: "POST",
      body: { ...target, code: byId("code").value.trim() } });
    Permis.busy(confirmButton, false);
    if (!result.ok) {
      Permis.showErrors(codeForm, result.data);
      return;
    }
    codeForm.hidden = true;
    Permis.showMessage(byId("message-envoi"), "");
    Permis.showMessage(byId("etat-code"), result.data.message, "succes");
    Permis.askFeedback();
  });

  // Back to the first form (another address, another number): a new code will be sent.
  byId("recommencer").addEventListener("click", () => {
    Permis.clearErrors(codeForm);
    byId("bloc-code").hidden = true;
    byId("bloc-abonnement").hidden = false;
    byId("address").focus();
  });
})();
