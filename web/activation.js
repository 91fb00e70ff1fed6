"use strict";
// Activation: the emailed link is activation.html#jeton=<token>[&demande=<id>]. The token is read
// from the fragment (never sent to the web server), then removed from the address bar; the page
// shows whose account it is (POST /accounts/activation/preview), then the person chooses a password
// (POST /accounts/activation), which also signs in a candidate or a school (not an agent: double
// authentication first). An unusable link offers to send a new one. A link made for a request a
// school filed (&demande=<id>) leads to valider.html#demande=<id>, the person signed in.

(function activation() {
  const byId = (id) => document.getElementById(id);
  const state = byId("etat");
  const token = Permis.fragment().get("jeton") || "";
  const REQUEST_NUMBER = /^\d{12}$/;
  let requestId = Permis.fragment().get("demande") || "";
  if (!REQUEST_NUMBER.test(requestId)) requestId = "";
  Permis.forgetFragment();

  function offerResend(message, kind) {
    Permis.showMessage(state, message, kind || "echec");
    byId("bloc-mot-de-passe").hidden = true;
    byId("bloc-renvoi").hidden = false;
  }

  const KIND_SENTENCES = {
    school_admin: "Vous serez l'administrateur de l'espace de votre auto-école et pourrez y inviter vos collègues.",
    school_member: "Vous avez été invité(e) à rejoindre l'espace de votre auto-école.",
    agent: "Après l'activation, vous configurerez la double authentification à votre première connexion.",
  };

  async function preview() {
    if (!token) {
      offerResend("Pour activer votre compte, suivez le lien reçu par courriel. Vous ne l'avez pas reçu, ou il ne "
        + "fonctionne plus ? Demandez-en un nouveau ci-dessous.", "info");
      return;
    }
    const result = await Permis.callApi("/accounts/activation/preview", { method: "POST", body: { token } });
    if (!result.ok) {
      if (result.status === 0 || result.status >= 500) {
        Permis.showMessage(state, result.data.message, "echec");
        return;
      }
      offerResend(result.data.message);
      return;
    }
    const account = result.data;
    Permis.showMessage(state, "");
    const role = Permis.ROLE_LABELS[account.role] || account.role;
    byId("bonjour").textContent = "Bonjour " + account.first_name + ", vous activez votre compte « " + role
      + " » associé à l'adresse " + account.email + ".";
    if (account.request_id && REQUEST_NUMBER.test(account.request_id)) requestId = account.request_id;
    const precision = requestId
      ? "Une auto-école a préparé pour vous la demande de permis n° " + requestId + " : après avoir choisi "
        + "votre mot de passe et vous être connecté(e), vous la vérifierez puis la validerez."
      : KIND_SENTENCES[account.kind];
    if (precision) {
      byId("precision").textContent = precision;
      byId("precision").hidden = false;
    }
    byId("bloc-mot-de-passe").hidden = false;
  }

  const passwordForm = byId("formulaire-mot-de-passe");
  const activateButton = byId("activer");
  passwordForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (activateButton.disabled) return;
    Permis.clearErrors(passwordForm);
    const password = byId("password");
    const problems = Permis.checkRequired(passwordForm);
    if (!problems.length) problems.push(...Permis.checkNewPassword(password, byId("confirmation")));
    if (problems.length) {
      Permis.showErrors(passwordForm, Permis.formErrors(problems));
      return;
    }
    Permis.busy(activateButton, true, "Activation…");
    const result = await Permis.callApi("/accounts/activation", {
      method: "POST", body: { token, password: password.value },
    });
    Permis.busy(activateButton, false);
    if (!result.ok) {
      if (result.data.code === "link_invalid") {
        offerResend(result.data.message);
        return;
      }
      Permis.showErrors(passwordForm, result.data, { codeFields: { password_rejected: "password" } });
      return;
    }
    passwordForm.reset();
    if (result.data.tokens) {
      // Signed in by the activation itself: straight on to the request to validate, or one's own space.
      Permis.clearSession();
      Permis.saveTokens(result.data.tokens);
      Permis.rememberRole(result.data.role);
      Permis.setNotice(requestId ? result.data.message + " Vérifiez maintenant la demande n° " + requestId
        + " puis validez-la." : result.data.message);
      window.location.assign(requestId ? "valider.html#demande=" + requestId : Permis.homeOf(result.data.role));
      return;
    }
    byId("bloc-mot-de-passe").hidden = true;
    byId("message-succes").textContent = result.data.message;
    if (requestId) {
      // After signing in, connexion.js sends the person to the request to validate.
      Permis.setReturnTo("valider.html#demande=" + requestId);
      byId("suite").textContent = "Connectez-vous maintenant avec votre adresse électronique et ce mot de passe : "
        + "vous arriverez directement sur la demande n° " + requestId + " pour la vérifier et la valider. "
        + "Elle doit être validée dans les 7 jours suivant son envoi.";
      byId("suite").hidden = false;
    }
    const success = byId("bloc-succes");
    success.hidden = false;
    success.focus();
  });

  const resendForm = byId("formulaire-renvoi");
  const resendButton = byId("renvoyer");
  resendForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (resendButton.disabled) return;
    Permis.clearErrors(resendForm);
    Permis.showMessage(byId("resultat-renvoi"), "");
    const problems = Permis.checkRequired(resendForm);
    if (problems.length) {
      Permis.showErrors(resendForm, Permis.formErrors(problems));
      return;
    }
    Permis.busy(resendButton, true);
    const result = await Permis.callApi("/accounts/activation/resend", {
      method: "POST", body: { email: byId("renvoi-email").value.trim() },
    });
    Permis.busy(resendButton, false);
    if (!result.ok) {
      Permis.showErrors(resendForm, result.data, { prefix: "renvoi-" });
      return;
    }
    Permis.showMessage(byId("resultat-renvoi"), result.data.message, "succes");
  });

  preview();
})();
