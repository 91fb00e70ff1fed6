"use strict";
// Forgotten password. Without a token: the email form (POST /passwords/forgotten). With the emailed
// link, mot-de-passe.html#jeton=<token>: the token is read then removed from the address bar, and
// the person chooses a new password (POST /passwords/reset).

(function motDePasse() {
  const byId = (id) => document.getElementById(id);
  const token = Permis.fragment().get("jeton") || "";
  Permis.forgetFragment();

  function showRequestForm() {
    byId("titre-page").textContent = "Mot de passe oublié";
    document.title = "Mot de passe oublié – Permis en ligne";
    byId("bloc-nouveau").hidden = true;
    byId("bloc-demande").hidden = false;
  }

  if (token) {
    byId("titre-page").textContent = "Choisir un nouveau mot de passe";
    document.title = "Choisir un nouveau mot de passe – Permis en ligne";
    byId("bloc-nouveau").hidden = false;
  } else {
    showRequestForm();
  }

  const requestForm = byId("formulaire-demande");
  const requestButton = byId("demander");
  requestForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (requestButton.disabled) return;
    Permis.clearErrors(requestForm);
    Permis.showMessage(byId("resultat-demande"), "");
    const problems = Permis.checkRequired(requestForm);
    if (problems.length) {
      Permis.showErrors(requestForm, Permis.formErrors(problems));
      return;
    }
    Permis.busy(requestButton, true);
    const result = await Permis.callApi("/passwords/forgotten", {
      method: "POST", body: { email: byId("email").value.trim() },
    });
    Permis.busy(requestButton, false);
    if (!result.ok) {
      Permis.showErrors(requestForm, result.data);
      return;
    }
    Permis.showMessage(byId("resultat-demande"), result.data.message, "succes");
  });

  const resetForm = byId("formulaire-nouveau");
  const resetButton = byId("changer");
  resetForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (resetButton.disabled) return;
    Permis.clearErrors(resetForm);
    const password = byId("password");
    const problems = Permis.checkRequired(resetForm);
    if (!problems.length) problems.push(...Permis.checkNewPassword(password, byId("confirmation")));
    if (problems.length) {
      Permis.showErrors(resetForm, Permis.formErrors(problems));
      return;
    }
    Permis.busy(resetButton, true);
    const result = await Permis.callApi("/passwords/reset", {
      method: "POST", body: { token, password: password.value },
    });
    Permis.busy(resetButton, false);
    if (!result.ok) {
      if (result.data.code === "link_invalid") {
        resetForm.reset();
        Permis.showMessage(byId("etat"), result.data.message, "echec");
        showRequestForm();
        byId("email").focus();
        return;
      }
      Permis.showErrors(resetForm, result.data, { codeFields: { password_rejected: "password" } });
      return;
    }
    // The other sessions are closed by the reset: this tab's too.
    Permis.clearSession();
    resetForm.reset();
    byId("bloc-nouveau").hidden = true;
    byId("message-succes").textContent = result.data.message;
    const success = byId("bloc-succes");
    success.hidden = false;
    success.focus();
  });
})();
