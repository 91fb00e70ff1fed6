"use strict";
// The signed-in person's account page, "Mon compte", for every role: their data (GET /me) and its
// correction (PATCH /me), the ways to their spaces, the agents' double authentication (POST
// /me/mfa/setup then /me/mfa/verify), the password (PUT /me/password) and the email (POST
// /me/email, confirmed by confirmer-adresse.html), signing out of every device (DELETE /sessions),
// the export of their data (GET /me/export) and closing the account (DELETE /me). A school's
// members are managed on membres.html.
// Every value from the server is put in the page with textContent / createElement.

(function espace() {
  const byId = (id) => document.getElementById(id);
  const el = Permis.el;
  let me = null;

  const notice = Permis.takeNotice();
  if (notice) Permis.showMessage(byId("avis"), notice, "succes");

  const STAFF = ["instructeur-ddt", "instructeur-cert", "inspecteur", "prefecture"];
  const CLOSABLE = ["candidat", "auto-ecole"];

  // --- Showing the data -------------------------------------------------------------------------

  const STREET_TYPE_LABELS = Object.fromEntries(Permis.STREET_TYPES);
  const EXTENSIONS = { B: "bis", T: "ter", Q: "quater" };
  const SEXES = { F: "Femme", M: "Homme" };
  // The countries of the sign-up form's short list; any other is shown by its code.
  const COUNTRY_NAMES = Object.fromEntries([["FR", "France"], ...Permis.COUNTRIES]);

  function addressLine(address) {
    const street = [address.number, EXTENSIONS[address.extension] || address.extension,
      STREET_TYPE_LABELS[address.street_type] || address.street_type, address.street_name]
      .filter(Boolean).join(" ");
    return [street, address.complement, address.postal_code + " " + address.commune_name].filter(Boolean).join(", ");
  }

  function birthPlaceLine(place) {
    if (place.country === "FR") return place.commune + (place.departement ? " (" + place.departement + ")" : "");
    return [place.commune, COUNTRY_NAMES[place.country] || "pays " + place.country].filter(Boolean).join(", ");
  }

  // +33612345678 -> 06 12 34 56 78; other numbers as stored.
  function phoneLine(phone) {
    const french = /^\+33(\d{9})$/.exec(phone || "");
    return french ? ("0" + french[1]).replace(/(\d{2})(?=\d)/g, "$1 ") : phone;
  }

  const MISSING = "Non renseigné";

  /** A titled group of term/value rows; a value left empty says "Non renseigné". */
  function group(title, rows) {
    const children = [];
    for (const [term, value] of rows) {
      children.push(el("dt", { text: term }), el("dd", { text: value || MISSING, className: value ? null : "manquant" }));
    }
    return [el("h3", { className: "fr-h6 fr-mb-1w", text: title }), el("dl", { className: "compte" }, children)];
  }

  function roleLine() {
    let role = Permis.ROLE_LABELS[me.role] || me.role;
    if (me.school_role === "admin") role += " – gérant de l'espace de l'auto-école";
    if (me.school_role === "member") role += " – membre de l'espace de l'auto-école";
    return role;
  }

  function showData() {
    const candidate = me.role === "candidat";
    const nodes = group("Identité", [
      ["Nom de naissance", me.birth_name],
      ...(candidate || me.usage_name ? [["Nom d'usage", me.usage_name]] : []),
      ["Prénoms", me.first_names],
      ...(candidate ? [["Sexe", SEXES[me.sex]], ["Date de naissance", Permis.formatDate(me.birth_date)],
        ["Lieu de naissance", me.birth_place ? birthPlaceLine(me.birth_place) : ""]] : []),
    ]);
    if (candidate) {
      nodes.push(...group("Coordonnées", [
        ["Adresse électronique", me.email],
        ["Téléphone portable", phoneLine(me.mobile_phone)],
        ["Adresse", me.address ? addressLine(me.address) : ""],
      ]));
    }
    const profileRows = [["Profil", roleLine()]];
    if (me.departement) profileRows.push(["Département", me.departement]);
    profileRows.push(["Compte créé le", Permis.formatDate(me.created_at, true)]);
    if (me.activated_at) profileRows.push(["Compte activé le", Permis.formatDate(me.activated_at, true)]);
    nodes.push(...group("Mon compte", profileRows));
    byId("infos").replaceChildren(...nodes);

    const security = [["Adresse de connexion", me.email]];
    if (STAFF.includes(me.role)) security.push(["Double authentification", me.mfa_enabled ? "Activée" : "Pas encore activée"]);
    byId("connexion-infos").replaceChildren(...security.flatMap(([term, value]) => [
      el("dt", { text: term }), el("dd", { text: value })]));
  }

  function showSpaces() {
    const links = [];
    const link = (href, text, icon) => links.push(el("li", {}, el("a", {
      className: "fr-btn fr-btn--secondary " + icon, href, text })));
    let intro = "";
    if (me.role === "candidat") {
      intro = "Suivez vos demandes de permis, validez celles qu'une auto-école a préparées pour vous, ou faites la vôtre.";
      link("demandes.html", "Mes demandes", "fr-icon-file-text-line");
    } else if (me.role === "auto-ecole") {
      intro = "Commencez une demande de permis pour un élève, suivez celles de l'auto-école ou reprenez celle d'une "
        + "autre auto-école.";
      link("demandes.html", "Tableau de bord des demandes", "fr-icon-file-text-line");
      if (me.school_role === "admin") link("membres.html", "Gérer les membres de l'auto-école", "fr-icon-team-line");
      else link("membres.html", "Voir les membres de l'auto-école", "fr-icon-team-line");
    } else if (["instructeur-ddt", "instructeur-cert", "prefecture"].includes(me.role)) {
      intro = me.mfa_required ? "Activez d'abord la double authentification ci-dessus : la file d'instruction s'ouvrira ensuite."
        : "Instruisez les demandes de votre service.";
      link("console.html", me.role === "prefecture" ? "Files d'instruction" : "File d'instruction", "fr-icon-list-unordered");
    } else if (me.role === "mediateur") {
      intro = "Déposez les demandes des personnes que vous accompagnez" + (me.structure_name ? " (" + me.structure_name
        + ")" : "") + ", avec leur consentement, et postez-leur les courriers de leurs demandes.";
      link("demandes.html", "Demandes accompagnées", "fr-icon-file-text-line");
      link("courriers.html", "Courriers à envoyer", "fr-icon-mail-line");
    }
    byId("intro-espaces").textContent = intro;
    byId("liens-espaces").replaceChildren(...links);
    byId("bloc-espaces").hidden = !links.length;
  }

  /** The summary lists the page's visible sections (wide windows: a column on the left). */
  function showSummary() {
    const sections = Array.from(document.querySelectorAll("section[data-sommaire]")).filter((section) => !section.hidden);
    byId("sommaire").replaceChildren(...sections.map((section) => el("li", {}, el("a", {
      className: "fr-summary__link", href: "#" + section.id, text: section.dataset.sommaire }))));
    byId("colonne-sommaire").hidden = sections.length < 3;
  }

  async function load() {
    me = await Permis.profileFor(null);
    if (me) showAll();
  }

  function showAll() {
    const candidate = me.role === "candidat";
    const title = "Mon compte";
    byId("titre").textContent = title;
    document.title = title + " – Permis en ligne";
    const bonjour = byId("bonjour");
    bonjour.textContent = "Bonjour " + me.first_names + " " + (me.usage_name || me.birth_name) + ".";
    bonjour.hidden = false;
    showData();
    showSpaces();
    byId("bloc-mfa").hidden = !me.mfa_required;
    byId("bloc-infos").hidden = false;
    byId("bloc-securite").hidden = false;
    byId("bloc-donnees").hidden = false;
    byId("bloc-clore").hidden = !CLOSABLE.includes(me.role);
    byId("explication-clore").textContent = me.role === "candidat"
      ? "Possible quand aucune demande n'est en cours. Vos données personnelles sont alors effacées."
      : me.school_role === "admin"
        ? "Possible quand l'auto-école n'a plus de demande en cours et que vous avez retiré vos collègues : l'espace "
          + "de l'auto-école est alors fermé."
        : "Possible quand aucune demande n'est en cours. Vous quittez l'espace de l'auto-école.";
    showSummary();
  }

  // --- Correcting the data ----------------------------------------------------------------------

  const form = byId("formulaire-infos");
  const readAddress = Permis.bindAddress();
  const readBirthPlace = Permis.bindBirthPlace();

  async function fillForm() {
    const candidate = me.role === "candidat";
    form.querySelectorAll("[data-candidat]").forEach((part) => { part.hidden = !candidate; });
    byId("birth_name").value = me.birth_name || "";
    byId("first_names").value = me.first_names || "";
    if (!candidate) return;
    byId("usage_name").value = me.usage_name || "";
    ["F", "M"].forEach((sex) => { byId("sex-" + sex).checked = me.sex === sex; });
    byId("birth_date").value = me.birth_date || "";
    readBirthPlace.fill(me.birth_place || { country: "FR" });
    byId("mobile_phone").value = phoneLine(me.mobile_phone) || "";
    await readAddress.fill(me.address);
  }

  function closeForm(focus) {
    Permis.clearErrors(form);
    form.hidden = true;
    byId("vue-infos").hidden = false;
    byId("corriger").setAttribute("aria-expanded", "false");
    if (focus) byId("corriger").focus();
  }

  byId("corriger").addEventListener("click", async () => {
    Permis.showMessage(byId("avis"), "");
    await fillForm();
    byId("vue-infos").hidden = true;
    form.hidden = false;
    byId("corriger").setAttribute("aria-expanded", "true");
    byId("titre-correction").focus();
  });
  byId("annuler").addEventListener("click", () => closeForm(true));

  function checkForm() {
    const problems = Permis.checkRequired(form);
    if (me.role !== "candidat") return problems;
    problems.push(...readBirthPlace.checks());
    if (!/^\d{5}$/.test(byId("address-postal_code").value.replace(/\s+/g, "")) && byId("address-postal_code").value.trim()) {
      problems.push({ errorId: "erreur-address-postal_code", message: "Le code postal compte 5 chiffres (exemple : 69003)." });
    }
    return problems;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = byId("enregistrer");
    if (button.disabled) return;
    Permis.clearErrors(form);
    const problems = checkForm();
    if (problems.length) {
      Permis.showErrors(form, Permis.formErrors(problems));
      return;
    }
    const value = (id) => byId(id).value.trim();
    const body = { birth_name: value("birth_name"), first_names: value("first_names") };
    if (me.role === "candidat") {
      Object.assign(body, {
        usage_name: value("usage_name") || null,
        sex: (form.querySelector('input[name="sex"]:checked') || {}).value,
        birth_date: value("birth_date"),
        birth_place: readBirthPlace(),
        mobile_phone: value("mobile_phone"),
        address: readAddress(),
      });
      if (!body.usage_name && !me.usage_name) delete body.usage_name;
    }
    Permis.busy(button, true, "Enregistrement…");
    const result = await Permis.callApi("/me", { method: "PATCH", token: true, body });
    Permis.busy(button, false);
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showErrors(form, result.data);
      return;
    }
    me = result.data;
    closeForm(false);
    showAll();
    Permis.showMessage(byId("avis"), "Vos informations sont corrigées.", "succes");
    byId("titre-infos").focus();
  });

  // --- Password -------------------------------------------------------------------------------------

  const passwordForm = byId("formulaire-mot-de-passe");
  passwordForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = byId("changer-mot-de-passe");
    if (button.disabled) return;
    Permis.clearErrors(passwordForm);
    Permis.showMessage(byId("etat-mot-de-passe"), "");
    const problems = Permis.checkRequired(passwordForm);
    const fresh = byId("new_password").value;
    if (!problems.length && fresh.length < 12) {
      problems.push({ errorId: "erreur-new_password", message: "Le mot de passe doit compter au moins 12 caractères." });
    }
    if (!problems.length && byId("new_password-confirmation").value !== fresh) {
      problems.push({ errorId: "erreur-new_password-confirmation",
        message: "Les deux mots de passe ne sont pas identiques : saisissez-les de nouveau." });
    }
    if (problems.length) {
      Permis.showErrors(passwordForm, Permis.formErrors(problems));
      return;
    }
    Permis.busy(button, true, "Changement…");
    const result = await Permis.callApi("/me/password", { method: "PUT", token: true,
      body: { current_password: byId("current_password").value, new_password: fresh } });
    Permis.busy(button, false);
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showErrors(passwordForm, result.data, { codeFields: {
        current_password_wrong: "current_password", password_rejected: "new_password" } });
      return;
    }
    passwordForm.reset();
    Permis.showMessage(byId("etat-mot-de-passe"), result.data.message, "succes");
  });

  // --- Email ----------------------------------------------------------------------------------------

  const emailForm = byId("formulaire-courriel");
  emailForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = byId("changer-courriel");
    if (button.disabled) return;
    Permis.clearErrors(emailForm);
    Permis.showMessage(byId("etat-courriel"), "");
    const problems = Permis.checkRequired(emailForm);
    if (problems.length) {
      Permis.showErrors(emailForm, Permis.formErrors(problems));
      return;
    }
    Permis.busy(button, true, "Envoi du lien…");
    const result = await Permis.callApi("/me/email", { method: "POST", token: true,
      body: { new_email: byId("courriel-new_email").value.trim(), password: byId("courriel-password").value } });
    Permis.busy(button, false);
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showErrors(emailForm, result.data, { prefix: "courriel-",
        codeFields: { current_password_wrong: "password", same_email: "new_email" } });
      return;
    }
    emailForm.reset();
    Permis.showMessage(byId("etat-courriel"), result.data.message, "succes");
  });

  // --- Signing out everywhere -----------------------------------------------------------------

  byId("deconnecter-partout").addEventListener("click", async () => {
    const button = byId("deconnecter-partout");
    Permis.busy(button, true, "Déconnexion…");
    const result = await Permis.callApi("/sessions", { method: "DELETE", token: true });
    if (result.sessionOver) return;
    // Whatever the answer, this tab forgets the session.
    Permis.endSession(result.ok ? result.data.message : "Vous êtes déconnecté sur cet appareil.");
  });

  // --- Exporting my data ------------------------------------------------------------------------

  byId("exporter").addEventListener("click", async () => {
    const button = byId("exporter");
    const state = byId("etat-export");
    Permis.showMessage(state, "");
    Permis.busy(button, true, "Préparation du fichier…");
    const result = await Permis.callApi("/me/export", { token: true });
    Permis.busy(button, false);
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showMessage(state, result.data.message, "echec");
      return;
    }
    const blob = new Blob([JSON.stringify(result.data, null, 2)], { type: "application/json" });
    const url = URL.createObjectURL(blob);
    const link = el("a", { href: url, download: "mes-donnees-permis-en-ligne.json", hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    Permis.showMessage(state, "Vos données sont téléchargées dans le fichier mes-donnees-permis-en-ligne.json.", "succes");
  });

  // --- Closing the account ----------------------------------------------------------------------

  const closeButton = byId("clore");
  closeButton.addEventListener("click", () => {
    Permis.showMessage(byId("etat-clore"), "");
    byId("confirmation-clore").hidden = false;
    closeButton.setAttribute("aria-expanded", "true");
    byId("titre-confirmation-clore").focus();
  });
  byId("annuler-clore").addEventListener("click", () => {
    byId("confirmation-clore").hidden = true;
    closeButton.setAttribute("aria-expanded", "false");
    closeButton.focus();
  });
  byId("confirmer-clore").addEventListener("click", async () => {
    const button = byId("confirmer-clore");
    Permis.busy(button, true, "Clôture…");
    const result = await Permis.callApi("/me", { method: "DELETE", token: true });
    Permis.busy(button, false);
    if (result.sessionOver) return;
    if (!result.ok) {
      byId("confirmation-clore").hidden = true;
      closeButton.setAttribute("aria-expanded", "false");
      Permis.showMessage(byId("etat-clore"), result.data.message, "echec");
      closeButton.focus();
      return;
    }
    Permis.endSession(result.data.message);
  });

  // --- Double authentification (agents) ------------------------------------------------------------

  byId("mfa-commencer").addEventListener("click", async () => {
    const button = byId("mfa-commencer");
    const state = byId("mfa-etat");
    Permis.showMessage(state, "");
    Permis.busy(button, true, "Préparation…");
    const result = await Permis.callApi("/me/mfa/setup", { method: "POST", token: true });
    Permis.busy(button, false);
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showMessage(state, result.data.message, "echec");
      return;
    }
    button.textContent = "Recommencer avec une nouvelle clé";
    button.classList.add("fr-btn--secondary");
    byId("mfa-message").textContent = result.data.message;
    // Grouped by 4 characters to read and type it more easily (apps ignore the spaces).
    byId("mfa-secret").textContent = (result.data.secret.match(/.{1,4}/g) || []).join(" ");
    byId("mfa-uri").textContent = result.data.otpauth_uri;
    byId("mfa-qr").src = result.data.qr_code;
    byId("mfa-etape").hidden = false;
    byId("mfa-code").focus();
  });

  const mfaForm = byId("formulaire-mfa");
  mfaForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = byId("mfa-valider");
    if (button.disabled) return;
    Permis.clearErrors(mfaForm);
    const code = byId("mfa-code").value.replace(/\s+/g, "");
    const problems = Permis.checkRequired(mfaForm);
    if (!problems.length && !/^\d{6}$/.test(code)) {
      problems.push({ errorId: "erreur-mfa-code", message: "Le code compte 6 chiffres." });
    }
    if (problems.length) {
      Permis.showErrors(mfaForm, Permis.formErrors(problems));
      return;
    }
    Permis.busy(button, true, "Vérification…");
    const result = await Permis.callApi("/me/mfa/verify", { method: "POST", body: { code }, token: true });
    Permis.busy(button, false);
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showErrors(mfaForm, result.data, { prefix: "mfa-" });
      return;
    }
    mfaForm.reset();
    me = { ...me, mfa_enabled: true, mfa_required: false };
    showAll();
    Permis.showMessage(byId("avis"), result.data.message, "succes");
    byId("avis").setAttribute("tabindex", "-1");
    byId("avis").focus();
  });

  load();
})();
