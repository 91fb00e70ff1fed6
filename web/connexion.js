"use strict";
// Sign-in: POST /sessions; agents with MFA then give their 6-digit code (POST /sessions/mfa).
// On success the tokens are kept as commun.js says (access token in memory, refresh token in
// sessionStorage) and the page goes back to the page that sent the person here to sign in
// (Permis.setReturnTo, e.g. valider.html), else to the role's own dashboard (Permis.homeOf).

(function connexion() {
  const byId = (id) => document.getElementById(id);
  const notice = Permis.takeNotice();
  if (notice) Permis.showMessage(byId("avis"), notice, "info");

  let pending = null; // {email, session} while the MFA code is asked

  const signedIn = (data) => Permis.startSession(data.tokens, data.message);

  const signInForm = byId("formulaire-connexion");
  const signInButton = byId("se-connecter");
  signInForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (signInButton.disabled) return;
    Permis.clearErrors(signInForm);
    Permis.showMessage(byId("avis"), "");
    const problems = Permis.checkRequired(signInForm);
    if (problems.length) {
      Permis.showErrors(signInForm, Permis.formErrors(problems));
      return;
    }
    const email = byId("email").value.trim();
    Permis.busy(signInButton, true, "Connexion…");
    const result = await Permis.callApi("/sessions", {
      method: "POST", body: { email, password: byId("password").value },
    });
    Permis.busy(signInButton, false);
    if (!result.ok) {
      Permis.showErrors(signInForm, result.data);
      return;
    }
    byId("password").value = "";
    if (result.data.status === "mfa_required") {
      pending = { email, session: result.data.session };
      byId("consigne-code").textContent = result.data.message;
      byId("bloc-connexion").hidden = true;
      byId("bloc-code").hidden = false;
      byId("code").focus();
      return;
    }
    signedIn(result.data);
  });

  const codeForm = byId("formulaire-code");
  const codeButton = byId("valider-code");
  codeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (codeButton.disabled || !pending) return;
    Permis.clearErrors(codeForm);
    const code = byId("code").value.replace(/\s+/g, "");
    const problems = Permis.checkRequired(codeForm);
    if (!problems.length && !/^\d{6}$/.test(code)) {
      problems.push({ errorId: "erreur-code", message: "Le code compte 6 chiffres." });
    }
    if (problems.length) {
      Permis.showErrors(codeForm, Permis.formErrors(problems));
      return;
    }
    Permis.busy(codeButton, true, "Vérification…");
    const result = await Permis.callApi("/sessions/mfa", {
      method: "POST", body: { email: pending.email, session: pending.session, code },
    });
    Permis.busy(codeButton, false);
    if (!result.ok) {
      byId("code").value = "";
      Permis.showErrors(codeForm, result.data);
      return;
    }
    signedIn(result.data);
  });

  byId("recommencer").addEventListener("click", () => {
    pending = null;
    codeForm.reset();
    Permis.clearErrors(codeForm);
    byId("bloc-code").hidden = true;
    byId("bloc-connexion").hidden = false;
    byId("password").focus();
  });
})();
