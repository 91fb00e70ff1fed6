"use strict";
// FranceConnect for candidates. The DSFR button (any page) starts the sign-in through the user
// pool's OAuth domain (GET /franceconnect/configuration), with PKCE and a state kept in this tab.
// franceconnect.html finishes it: POST /sessions/franceconnect with the code and the verifier,
// then the person is signed in, completes a new account (phone, address), or asks for a link to
// their existing account's address; that emailed link (franceconnect.html#jeton=...) confirms it.

(function franceConnect() {
  const PENDING_KEY = "permis.franceconnect";
  const byId = (id) => document.getElementById(id);

  function base64url(bytes) {
    return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function randomString(size) {
    return base64url(crypto.getRandomValues(new Uint8Array(size)));
  }

  async function start(button) {
    const problem = button.closest(".fr-connect-group").querySelector(".erreur-franceconnect");
    problem.hidden = true;
    button.disabled = true;
    const result = await Permis.callApi("/franceconnect/configuration");
    if (!result.ok) {
      button.disabled = false;
      problem.textContent = result.data.message;
      problem.hidden = false;
      return;
    }
    const config = result.data;
    const state = randomString(24);
    const verifier = randomString(48);
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
    sessionStorage.setItem(PENDING_KEY, JSON.stringify({ state, verifier }));
    const query = new URLSearchParams({
      response_type: "code", client_id: config.client_id, redirect_uri: config.redirect_uri,
      identity_provider: config.identity_provider, scope: config.scope, state,
      code_challenge: base64url(new Uint8Array(digest)), code_challenge_method: "S256",
    });
    window.location.assign(config.authorize_url + "?" + query);
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-franceconnect]");
    if (!button || button.disabled) return;
    event.preventDefault();
    start(button);
  });

  if (!byId("bloc-creation")) return; // the button only: not the return page

  // --- franceconnect.html ------------------------------------------------------------------------

  const state = byId("etat");
  let newcomerToken = null; // the FranceConnect identity's access token, until its account exists

  function show(id) {
    byId(id).hidden = false;
  }

  function failed(message) {
    Permis.showMessage(state, message, "echec");
    show("bloc-probleme");
  }

  function showIdentity(identity) {
    const place = identity.birth_place;
    byId("identite-nom").textContent = identity.family_name;
    byId("identite-prenoms").textContent = identity.given_name;
    byId("identite-sexe").textContent = { F: "Femme", M: "Homme" }[identity.sex] || "Non transmis";
    byId("identite-naissance").textContent = Permis.formatDate(identity.birth_date);
    byId("identite-lieu").textContent = place ? place.commune + " (" + place.departement + ")"
      : "Non transmis sous une forme lisible : à indiquer ci-dessous";
    byId("identite-courriel").textContent = identity.email;
    show("bloc-identite");
  }

  const signedIn = (data) => Permis.startSession(data.tokens, data.message);

  function offerAccount(data) {
    showIdentity(data.identity);
    Permis.showMessage(state, data.message, "info");
    const form = byId("formulaire");
    const button = byId("creer");
    const readAddress = Permis.bindAddress();
    const readBirthPlace = Permis.bindBirthPlace();
    const askBirthPlace = !data.identity.birth_place;
    byId("champs-naissance").hidden = !askBirthPlace;
    show("bloc-creation");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (button.disabled) return;
      Permis.clearErrors(form);
      const problems = Permis.checkRequired(form).concat(askBirthPlace ? readBirthPlace.checks() : []);
      if (problems.length) {
        Permis.showErrors(form, Permis.formErrors(problems));
        return;
      }
      const body = { mobile_phone: byId("mobile_phone").value.trim(), address: readAddress(),
        terms_accepted: byId("terms_accepted").checked };
      if (askBirthPlace) body.birth_place = readBirthPlace();
      Permis.busy(button, true, "Création du compte…");
      const result = await Permis.callApi("/franceconnect/account", { method: "POST", body, token: newcomerToken });
      Permis.busy(button, false);
      if (!result.ok) {
        Permis.showErrors(form, result.data);
        return;
      }
      signedIn({ tokens: data.tokens, message: "Votre compte est créé : votre état civil est celui que "
        + "FranceConnect certifie." });
    });
  }

  function offerLink(data) {
    showIdentity(data.identity);
    Permis.showMessage(state, "");
    byId("consigne-liaison").textContent = "Le compte Permis en ligne de l'adresse " + data.email + " existe déjà. "
      + "Pour le relier à votre identité FranceConnect, nous envoyons un lien à cette adresse : ouvrez-le pour confirmer.";
    show("bloc-liaison");
    const button = byId("demander-liaison");
    button.addEventListener("click", async () => {
      if (button.disabled) return;
      Permis.busy(button, true, "Envoi du lien…");
      const result = await Permis.callApi("/franceconnect/link", { method: "POST", token: newcomerToken });
      Permis.busy(button, false);
      Permis.showMessage(state, result.data.message, result.ok ? "succes" : "echec");
      if (result.ok) {
        byId("bloc-liaison").hidden = true;
      }
      state.scrollIntoView({ block: "center" });
    });
  }

  async function finishSignIn(query) {
    const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) || "null");
    sessionStorage.removeItem(PENDING_KEY);
    history.replaceState(null, "", window.location.pathname); // the code leaves the address bar
    if (query.get("error")) {
      failed("La connexion avec FranceConnect a été annulée ou n'a pas abouti. Vous pouvez recommencer.");
      return;
    }
    if (!pending || pending.state !== query.get("state")) {
      failed("Cette connexion FranceConnect n'a pas été lancée depuis cet onglet, ou elle a expiré : recommencez.");
      return;
    }
    const result = await Permis.callApi("/sessions/franceconnect", {
      method: "POST", body: { code: query.get("code") || "", code_verifier: pending.verifier },
    });
    if (!result.ok) {
      failed(result.data.message);
      return;
    }
    const data = result.data;
    if (data.status === "signed_in") {
      signedIn(data);
      return;
    }
    newcomerToken = data.tokens.access_token;
    if (data.status === "new_account") offerAccount(data);
    else offerLink(data);
  }

  async function confirmLink(token) {
    const preview = await Permis.callApi("/franceconnect/link/preview", { method: "POST", body: { token } });
    if (!preview.ok) {
      failed(preview.data.message);
      return;
    }
    Permis.showMessage(state, "");
    byId("consigne-confirmation").textContent = "Relier l'identité FranceConnect de " + preview.data.name
      + ", né(e) le " + Permis.formatDate(preview.data.birth_date) + ", à votre compte " + preview.data.email + " ?";
    show("bloc-confirmation");
    const button = byId("confirmer-liaison");
    button.addEventListener("click", async () => {
      if (button.disabled) return;
      Permis.busy(button, true, "Liaison…");
      const result = await Permis.callApi("/franceconnect/link/confirm", { method: "POST", body: { token } });
      Permis.busy(button, false);
      byId("bloc-confirmation").hidden = true;
      if (!result.ok) {
        failed(result.data.message);
        return;
      }
      Permis.showMessage(state, result.data.message, "succes");
      show("bloc-fin");
    });
  }

  const token = Permis.fragment().get("jeton");
  const query = new URLSearchParams(window.location.search);
  if (token) {
    Permis.forgetFragment();
    confirmLink(token);
  } else if (query.get("code") || query.get("error")) {
    finishSignIn(query);
  } else {
    failed("Cette page termine une connexion avec FranceConnect : choisissez « S'identifier avec FranceConnect ».");
  }
})();
