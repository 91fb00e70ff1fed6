"use strict";
// The members of a driving school (GET /school/members): the list with each one's role and state;
// for the space's administrator, inviting a colleague (POST /school/members, same activation path
// as a sign-up) and removing one (DELETE /school/members/{id}) after a confirmation step. What the
// API refuses (removing oneself, an unknown member...) is shown as it says it.

(function membres() {
  const byId = (id) => document.getElementById(id);
  const el = Permis.el;
  const SCHOOL_ROLES = { admin: "Administrateur", member: "Membre" };
  const STATUS_KINDS = { active: "fr-badge--success", pending: "fr-badge--warning", pending_activation: "fr-badge--warning",
    removed: "fr-badge--error", closed: "fr-badge--error" };
  let me = null;
  let pendingRemoval = null; // {member, name, button}

  async function load() {
    me = await Permis.profileFor(["auto-ecole"], "Cette page est réservée aux auto-écoles.");
    if (!me) return;
    byId("bloc-membres").hidden = false;
    byId("bloc-invitation").hidden = me.school_role !== "admin";
    await loadMembers();
  }

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
        el("td", {}, el("span", { className: ("fr-badge fr-badge--sm " + (STATUS_KINDS[member.status] || "")).trim(),
          text: member.status_label })),
        el("td", { text: Permis.formatDate(member.invited_at) }),
      ];
      if (isAdmin) {
        // Oneself stays listed with the button: the API says why one cannot remove oneself.
        const removable = !["removed", "closed"].includes(member.status);
        cells.push(el("td", {}, removable ? el("button", {
          type: "button", className: "fr-btn fr-btn--tertiary fr-btn--sm fr-btn--icon-left fr-icon-delete-line",
          text: "Retirer", "aria-label": "Retirer " + name,
          onclick: (event) => askRemoval(member, name, event.currentTarget),
        }) : ""));
      }
      return el("tr", {}, cells);
    });
    const count = school.members.length + (school.members.length > 1 ? " membres" : " membre");
    byId("titre-membres").textContent = "Les membres (" + school.members.length + ")";
    const table = el("table", {},
      el("caption", { text: "Membres de l'auto-école : " + count }),
      el("thead", {}, el("tr", {}, headers.map((text) => el("th", { scope: "col", text })))),
      el("tbody", {}, rows));
    byId("contenu-membres").replaceChildren(table);
  }

  // --- Removing: a confirmation step, then DELETE ----------------------------------------------

  function askRemoval(member, name, button) {
    pendingRemoval = { member, name, button };
    Permis.showMessage(byId("etat-membres"), "");
    byId("titre-confirmation").textContent = "Retirer " + name + " ?";
    byId("texte-confirmation").textContent = name + " perdra l'accès à l'espace de l'auto-école immédiatement, "
      + "même si cette personne est connectée. Ses demandes restent dans l'espace.";
    const box = byId("confirmation-retrait");
    box.hidden = false;
    byId("confirmer-retrait").focus();
  }

  function closeConfirmation() {
    const wanted = pendingRemoval;
    pendingRemoval = null;
    byId("confirmation-retrait").hidden = true;
    return wanted;
  }

  byId("annuler-retrait").addEventListener("click", () => {
    const wanted = closeConfirmation();
    if (wanted && wanted.button.isConnected) wanted.button.focus();
  });
  byId("confirmation-retrait").addEventListener("keydown", (event) => {
    if (event.key === "Escape") byId("annuler-retrait").click();
  });

  byId("confirmer-retrait").addEventListener("click", async (event) => {
    const confirmButton = event.currentTarget;
    if (!pendingRemoval || confirmButton.disabled) return;
    const { member } = pendingRemoval;
    Permis.busy(confirmButton, true, "Retrait…");
    const result = await Permis.callApi("/school/members/" + encodeURIComponent(member.account_id), {
      method: "DELETE", token: true,
    });
    if (result.sessionOver) return;
    Permis.busy(confirmButton, false);
    closeConfirmation();
    Permis.showMessage(byId("etat-membres"), result.data.message, result.ok ? "succes" : "echec");
    if (result.ok) await loadMembers();
    byId("titre-membres").focus(); // the button may be gone: keep the focus in the section
  });

  // --- Inviting -----------------------------------------------------------------------------------

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
      Permis.showErrors(inviteForm, result.data, { prefix: "invitation-", codeFields: { email_taken: "email" } });
      return;
    }
    inviteForm.reset();
    Permis.showMessage(byId("etat-invitation"), result.data.message, "succes");
    loadMembers();
  });

  load();
})();
