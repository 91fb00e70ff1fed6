"use strict";
// The signed-in person's space: their account (GET /me), the double authentication of agents
// (POST /me/mfa/setup then /me/mfa/verify), the members of a driving school (GET, POST, DELETE
// /school/members), the way to "Mes demandes" (schools and candidates), exporting their data
// (GET /me/export) and signing out (DELETE /sessions).
// Every value from the server is put in the page with textContent / createElement.

(function espace() {
  const byId = (id) => document.getElementById(id);
  const el = Permis.el;
  let me = null;

  const notice = Permis.takeNotice();
  if (notice) Permis.showMessage(byId("avis"), notice, "succes");

  // --- Mon compte ------------------------------------------------------------------------------

  const STREET_TYPE_LABELS = Object.fromEntries(Permis.STREET_TYPES);
  const EXTENSIONS = { B: "bis", T: "ter", Q: "quater" };
  const STAFF = ["instructeur-ddt", "instructeur-cert", "inspecteur", "prefecture"];

  function addressLine(address) {
    const street = [address.number, EXTENSIONS[address.extension] || address.extension,
      STREET_TYPE_LABELS[address.street_type] || address.street_type, address.street_name]
      .filter(Boolean).join(" ");
    return [street, address.complement, address.postal_code + " " + address.commune_name].filter(Boolean).join(", ");
  }

  // The countries of the sign-up form's short list; any other is shown by its code.
  const COUNTRIES = {
    DZ: "Algérie", DE: "Allemagne", BE: "Belgique", CM: "Cameroun", CI: "Côte d'Ivoire", ES: "Espagne",
    IT: "Italie", ML: "Mali", MA: "Maroc", PT: "Portugal", RO: "Roumanie", GB: "Royaume-Uni", SN: "Sénégal",
    CH: "Suisse", TN: "Tunisie", TR: "Turquie",
  };

  function birthPlaceLine(place) {
    if (place.country === "FR") return place.commune + (place.departement ? " (" + place.departement + ")" : "");
    const country = COUNTRIES[place.country] || "pays " + place.country;
    return [place.commune, country].filter(Boolean).join(", ");
  }

  // +33612345678 -> 06 12 34 56 78; other numbers as stored.
  function phoneLine(phone) {
    const french = /^\+33(\d{9})$/.exec(phone || "");
    return french ? ("0" + french[1]).replace(/(\d{2})(?=\d)/g, "$1 ") : phone;
  }

  function showAccount() {
    const rows = [];
    const add = (term, value) => { if (value) rows.push(el("dt", { text: term }), el("dd", { text: value })); };
    const name = me.first_names + " " + (me.usage_name || me.birth_name);
    add("Nom", me.usage_name ? name + " (né(e) " + me.birth_name + ")" : name);
    add("Adresse électronique", me.email);
    let role = Permis.ROLE_LABELS[me.role] || me.role;
    if (me.school_role === "admin") role += " – administrateur de l'espace de l'auto-école";
    if (me.school_role === "member") role += " – membre de l'espace de l'auto-école";
    add("Profil", role);
    add("Département", me.departement);
    add("Date de naissance", Permis.formatDate(me.birth_date));
    if (me.birth_place) add("Lieu de naissance", birthPlaceLine(me.birth_place));
    add("Téléphone portable", phoneLine(me.mobile_phone));
    if (me.address) add("Adresse", addressLine(me.address));
    if (STAFF.includes(me.role)) add("Double authentification", me.mfa_enabled ? "Activée" : "Pas encore activée");
    add("Compte créé le", Permis.formatDate(me.created_at, true));
    add("Compte activé le", Permis.formatDate(me.activated_at, true));
    byId("compte").replaceChildren(...rows);
    byId("bloc-compte").hidden = false;
    byId("bloc-donnees").hidden = false;
  }

  async function load() {
    const result = await Permis.callApi("/me", { token: true });
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showMessage(byId("chargement"), result.data.message, "echec");
      return;
    }
    me = result.data;
    Permis.showMessage(byId("chargement"), "");
    showAccount();
    byId("bloc-mfa").hidden = !me.mfa_required;
    if (me.role === "auto-ecole" || me.role === "candidat") {
      byId("intro-demandes").textContent = me.role === "auto-ecole"
        ? "Commencez une demande de permis pour un élève, suivez celles de l'auto-école ou reprenez celle d'une autre "
          + "auto-école."
        : "Suivez vos demandes de permis, validez celles qu'une auto-école a préparées pour vous, ou faites la vôtre.";
      byId("bloc-demandes").hidden = false;
    }
    if (me.role === "auto-ecole") {
      byId("bloc-membres").hidden = false;
      byId("bloc-invitation").hidden = me.school_role !== "admin";
      loadMembers();
    }
  }

  // --- Se déconnecter --------------------------------------------------------------------------

  byId("se-deconnecter").addEventListener("click", async () => {
    const button = byId("se-deconnecter");
    Permis.busy(button, true, "Déconnexion…");
    const result = await Permis.callApi("/sessions", { method: "DELETE", token: true });
    if (result.sessionOver) return;
    // Whatever the answer, this tab forgets the session.
    Permis.endSession(result.ok ? result.data.message : "Vous êtes déconnecté sur cet appareil.");
  });

  // --- Exporter mes données --------------------------------------------------------------------

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
    byId("mfa-message").textContent = result.data.message;
    // Grouped by 4 characters to read and type it more easily (apps ignore the spaces).
    byId("mfa-secret").textContent = (result.data.secret.match(/.{1,4}/g) || []).join(" ");
    byId("mfa-uri").textContent = result.data.otpauth_uri;
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
    byId("bloc-mfa").hidden = true;
    Permis.showMessage(byId("avis"), result.data.message, "succes");
    byId("avis").setAttribute("tabindex", "-1");
    byId("avis").focus();
    load();
  });

  // --- Les membres de l'auto-école -------------------------------------------------------------

  const SCHOOL_ROLES = { admin: "Administrateur", member: "Membre" };

  async function loadMembers() {
    const result = await Permis.callApi("/school/members", { token: true });
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showMessage(byId("etat-membres"), result.data.message, "echec");
      return;
    }
    const school = result.data;
    byId("nom-auto-ecole").textContent = school.company_name ? "Auto-école : " + school.company_name : "";
    const isAdmin = me.school_role === "admin";
    const headers = ["Nom", "Adresse électronique", "Rôle", "État", "Invité le"];
    if (isAdmin) headers.push("Action");
    const rows = school.members.map((member) => {
      const name = member.first_name + " " + member.birth_name;
      const cells = [
        el("th", { scope: "row", text: name + (member.account_id === me.account_id ? " (vous)" : "") }),
        el("td", { className: "courriel", text: member.email }),
        el("td", { text: SCHOOL_ROLES[member.school_role] || member.school_role }),
        el("td", { text: member.status_label }),
        el("td", { text: Permis.formatDate(member.invited_at) }),
      ];
      if (isAdmin) {
        const removable = member.account_id !== me.account_id && !["removed", "closed"].includes(member.status);
        cells.push(el("td", {}, removable ? el("button", {
          type: "button", className: "danger", text: "Retirer",
          "aria-label": "Retirer " + name,
          onclick: (event) => removeMember(member, name, event.currentTarget),
        }) : ""));
      }
      return el("tr", {}, cells);
    });
    const table = el("table", {},
      el("caption", { text: school.members.length + (school.members.length > 1 ? " membres" : " membre") }),
      el("thead", {}, el("tr", {}, headers.map((text) => el("th", { scope: "col", text })))),
      el("tbody", {}, rows));
    byId("tableau-membres").replaceChildren(table);
  }

  async function removeMember(member, name, button) {
    const sure = window.confirm("Retirer " + name + " de l'espace de l'auto-école ? "
      + "Cette personne perdra l'accès immédiatement, même si elle est connectée.");
    if (!sure) return;
    Permis.busy(button, true, "Retrait…");
    const result = await Permis.callApi("/school/members/" + encodeURIComponent(member.account_id), {
      method: "DELETE", token: true,
    });
    if (result.sessionOver) return;
    Permis.busy(button, false);
    Permis.showMessage(byId("etat-membres"), result.data.message, result.ok ? "succes" : "echec");
    if (result.ok) await loadMembers();
    byId("titre-membres").focus(); // the button may be gone: keep the focus in the section
  }

  const inviteForm = byId("formulaire-invitation");
  inviteForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = byId("inviter");
    if (button.disabled) return;
    Permis.clearErrors(inviteForm);
    Permis.showMessage(byId("etat-invitation"), "");
    const problems = Permis.checkRequired(inviteForm);
    if (problems.length) {
      Permis.showErrors(inviteForm, Permis.formErrors(problems));
      return;
    }
    const value = (id) => byId("invitation-" + id).value.trim();
    Permis.busy(button, true, "Invitation…");
    const result = await Permis.callApi("/school/members", {
      method: "POST", token: true,
      body: { birth_name: value("birth_name"), first_name: value("first_name"), email: value("email") },
    });
    Permis.busy(button, false);
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showErrors(inviteForm, result.data, { prefix: "invitation-" });
      return;
    }
    inviteForm.reset();
    Permis.showMessage(byId("etat-invitation"), result.data.message, "succes");
    loadMembers();
  });

  load();
})();
