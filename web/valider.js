"use strict";
// The candidate validates the request a school filed without mandate: valider.html#demande=<id>,
// the link of the email. Not signed in: the page is remembered (Permis.setReturnTo) and the person
// signs in first, then comes back here. The request is shown read only, then
// POST /requests/{id}/validation {version}. An identity divergence (409 identity_mismatch, one
// detail per field) is shown field by field, the account's value next to the request's, with the
// two remedies: correct the account here (PATCH /me, then validate), or ask the school to correct
// the request.

(function valider() {
  const byId = (id) => document.getElementById(id);
  const el = Permis.el;
  const requestId = Permis.fragment().get("demande") || "";
  let request = null;
  let me = null;

  const notice = Permis.takeNotice();
  if (notice) Permis.showMessage(byId("avis"), notice, "info");

  const path = (suffix) => "/requests/" + encodeURIComponent(requestId) + (suffix || "");

  /** The end of the page's journey: a titled block, focused. */
  function finish(title, message, hint, kind) {
    byId("bloc-validation").hidden = true;
    byId("titre-fin").textContent = title;
    Permis.showMessage(byId("message-fin"), message, kind);
    byId("indication-fin").textContent = hint || "";
    byId("lien-demande").href = "demande.html#id=" + encodeURIComponent(requestId);
    const block = byId("bloc-fin");
    block.hidden = false;
    block.focus();
  }

  function showRequest() {
    document.title = "Vérifier et valider la demande n° " + request.request_id + " – Permis en ligne";
    byId("titre").textContent = "Vérifier et valider la demande n° " + request.request_id;
    const school = request.school_name ? "Votre auto-école, « " + request.school_name + " »," : "Votre auto-école";
    byId("intro-demande").textContent = school + " a préparé cette demande pour vous. Vérifiez-la puis "
      + "validez-la : elle ne sera envoyée à l'administration qu'après votre validation.";
    byId("lien-contact").href = "contact.html#demande=" + encodeURIComponent(request.request_id);
    const schoolAddress = byId("adresse-auto-ecole");
    schoolAddress.hidden = !request.school_address;
    schoolAddress.textContent = request.school_address ? "lui écrire par courrier : " + request.school_address : "";
    ["nom-auto-ecole", "nom-auto-ecole-divergence", "nom-auto-ecole-contact"].forEach((id) => {
      byId(id).textContent = request.school_name ? "votre auto-école (« " + request.school_name + " »)" : "votre auto-école";
    });
    byId("entete").replaceChildren(...Array.from(Demandes.definitions([
      ["Auto-école", request.school_name],
      ["Démarche", request.procedure_label],
      ["Statut", Demandes.statusBadge(request.status, request.status_label)],
    ]).childNodes));
    byId("indication-statut").textContent = request.status_hint || "";
    const deadline = byId("echeance");
    // The deadline only matters while the validation is awaited.
    const awaited = request.validation_deadline && request.status === "attente-validation-usager";
    deadline.hidden = !awaited;
    if (awaited) {
      deadline.textContent = "À valider au plus tard le " + Permis.formatDate(request.validation_deadline, true)
        + " : passé ce délai, la demande revient à l'auto-école.";
    }
    byId("informations").replaceChildren(...Demandes.stepsView(request, { headingTag: "h3" }));
    byId("bloc-demande").hidden = false;
    byId("bloc-informations").hidden = false;
  }

  /** The documents the school joined, each with its state; an accepted file can be seen (thumbnail or PDF). */
  async function showDocuments() {
    const result = await Permis.callApi(path("/documents"), { token: true });
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showMessage(byId("etat-pieces"), result.data.message, "echec");
      return;
    }
    const documents = result.data.documents || [];
    Permis.showMessage(byId("etat-pieces"), documents.length ? "" : "Aucune pièce jointe pour le moment.");
    byId("pieces").replaceChildren(...documents.map((item) => el("li", { className: "carte" },
      el("p", { className: "fr-text--bold fr-mb-1w", text: item.label }),
      el("p", { className: "fr-mb-1w" }, "État : ", Demandes.documentBadge(item.state, item.state_label)),
      item.state === "accepted" && item.document !== "ephoto"
        ? Demandes.filePreview(request.request_id, item.document, item.label) : null)));
  }

  async function fetchRequest() {
    const result = await Permis.callApi(path(), { token: true });
    if (result.ok) request = result.data;
    return result;
  }

  async function load() {
    if (!Demandes.REQUEST_NUMBER.test(requestId)) {
      Permis.showMessage(byId("chargement"), "Ce lien ne désigne pas une demande : ouvrez le lien du courriel "
        + "reçu, en entier, ou retrouvez la demande dans « Mes demandes ».", "echec");
      return;
    }
    // Signed out (or the session ends during the call): connexion.js brings the person back here.
    Permis.setReturnTo("valider.html#demande=" + requestId);
    if (!Permis.hasSession()) {
      Permis.endSession("Connectez-vous pour vérifier et valider la demande n° " + requestId
        + " : vous reviendrez ensuite sur cette demande.");
      return;
    }
    const result = await fetchRequest();
    if (result.sessionOver) return;
    Permis.forgetReturnTo();
    if (!result.ok) {
      Permis.showMessage(byId("chargement"), result.data.message + (result.status === 404
        ? " Vérifiez que vous êtes connecté(e) avec votre compte de candidat, celui de l'adresse qui a reçu le courriel."
        : ""), "echec");
      return;
    }
    Permis.showMessage(byId("chargement"), "");
    showRequest();
    showDocuments();
    const actions = Array.isArray(request.actions) ? request.actions : [];
    if (actions.includes("validate")) {
      byId("bloc-validation").hidden = false;
      return;
    }
    finish("Cette demande n'attend pas votre validation", "Statut de la demande : « " + request.status_label + " ».",
      request.status_hint, "info");
  }

  // --- "Une information n'est pas correcte" -----------------------------------------------------

  // It opens the request's thread: the message goes to the school (and to the instructors later).
  const thread = Permis.messageThread(byId("fil-messages"), {
    hint: "Pour votre auto-école : un courriel la prévient.",
    sent: "Message envoyé : votre auto-école en est prévenue par courriel." });
  const notRight = byId("pas-correct");
  notRight.addEventListener("click", () => {
    const open = byId("bloc-pas-correct").hidden;
    byId("bloc-pas-correct").hidden = !open;
    notRight.setAttribute("aria-expanded", String(open));
    if (!open) return;
    byId("titre-pas-correct").focus();
    thread.show(path("/messages"));
  });

  // --- The validation ----------------------------------------------------------------------------

  const form = byId("formulaire-validation");
  const button = byId("valider");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled || !request) return;
    Permis.clearErrors(form);
    Permis.showMessage(byId("avis"), "");
    Permis.busy(button, true, "Validation…");
    const result = await Permis.callApi(path("/validation"), {
      method: "POST", token: true, body: { version: request.version },
    });
    if (result.sessionOver) return;
    Permis.busy(button, false);
    if (result.ok) {
      byId("bloc-divergence").hidden = true;
      request = result.data;
      showRequest();
      finish("Demande validée", "Merci : la demande est validée et transmise. Son statut : « " + request.status_label
        + " ».", request.status_hint, "succes");
      Permis.askFeedback();
      return;
    }
    const code = result.data.code;
    if (code === "identity_mismatch") {
      await showDivergence(result.data);
      return;
    }
    if (code === "validation_expired") {
      finish("Le délai de validation est dépassé", result.data.message,
        "Demandez à l'auto-école de vous renvoyer la demande : vous recevrez un nouveau courriel.", "echec");
      return;
    }
    if (code === "changed_meanwhile" || code === "illegal_transition") {
      finish("La demande a changé entre-temps", result.data.message, "Rechargez la demande pour voir son état actuel.",
        "echec");
      byId("conflit-fin").hidden = false;
      return;
    }
    Permis.showErrors(form, result.data);
  });

  // --- The identity divergence -------------------------------------------------------------------

  const FIELDS = {
    birth_name: { label: "Nom de naissance", show: (value) => value || "" },
    first_names: { label: "Prénoms", show: (value) => value || "" },
    birth_date: { label: "Date de naissance", show: (value) => Permis.formatDate(value) },
    sex: { label: "Sexe", show: (value) => Demandes.labelOf(Demandes.SEXES, value) || "" },
  };
  let differing = [];

  const shown = (field, value) => FIELDS[field].show(value) || "Non renseigné";

  async function showDivergence(error) {
    differing = (error.details || []).map((detail) => detail.field).filter((field) => FIELDS[field]);
    const profile = await Permis.callApi("/me", { token: true });
    if (profile.sessionOver) return;
    me = profile.ok ? profile.data : null;
    const typed = (request.steps && request.steps.civil_status) || {};
    byId("message-divergence").textContent = error.message;
    // One item per differing field: its label, the account's value and the request's.
    byId("champs-divergence").replaceChildren(...differing.map((field) => el("li", { className: "ecart" },
      el("p", { className: "fr-text--bold fr-mb-1w", text: FIELDS[field].label }),
      el("dl", { className: "compte fr-mb-0" },
        el("dt", { text: "Dans votre compte" }), el("dd", { text: me ? shown(field, me[field]) : "—" }),
        el("dt", { text: "Dans la demande" }), el("dd", { text: shown(field, typed[field]) })))));
    // The correction form asks only the differing fields, filled with the account's values.
    Object.keys(FIELDS).forEach((field) => { byId("groupe-" + field).hidden = !differing.includes(field); });
    if (me) fillCorrection(typed);
    byId("corriger-compte").hidden = !me || !differing.length;
    byId("bloc-correction").hidden = true;
    byId("corriger-compte").setAttribute("aria-expanded", "false");
    byId("bloc-divergence").hidden = false;
    byId("alerte-divergence").focus();
  }

  function fillCorrection(typed) {
    byId("correction-birth_name").value = me.birth_name || "";
    byId("correction-first_names").value = me.first_names || "";
    byId("correction-birth_date").value = me.birth_date || "";
    ["F", "M"].forEach((sex) => { byId("correction-sex-" + sex).checked = me.sex === sex; });
    Object.keys(FIELDS).forEach((field) => {
      byId("aide-" + field).textContent = "Dans la demande : " + shown(field, typed[field]);
    });
  }

  byId("corriger-compte").addEventListener("click", () => {
    byId("bloc-correction").hidden = false;
    byId("corriger-compte").setAttribute("aria-expanded", "true");
    byId("titre-correction").focus();
  });

  const correctionForm = byId("formulaire-correction");
  byId("annuler-correction").addEventListener("click", () => {
    Permis.clearErrors(correctionForm);
    byId("bloc-correction").hidden = true;
    byId("corriger-compte").setAttribute("aria-expanded", "false");
    byId("corriger-compte").focus();
  });

  correctionForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const save = byId("enregistrer-correction");
    if (save.disabled) return;
    Permis.clearErrors(correctionForm);
    const problems = Permis.checkRequired(correctionForm);
    if (problems.length) {
      Permis.showErrors(correctionForm, Permis.formErrors(problems));
      return;
    }
    const body = {};
    for (const field of differing) {
      if (field === "sex") body.sex = (correctionForm.querySelector('input[name="sex"]:checked') || {}).value;
      else body[field] = byId("correction-" + field).value.trim();
    }
    Permis.busy(save, true, "Enregistrement…");
    const result = await Permis.callApi("/me", { method: "PATCH", token: true, body });
    Permis.busy(save, false);
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showErrors(correctionForm, result.data, { prefix: "correction-" });
      return;
    }
    me = result.data;
    // The request may have changed meanwhile: its fresh version for the validation.
    const fresh = await fetchRequest();
    if (fresh.sessionOver) return;
    byId("bloc-correction").hidden = true;
    byId("bloc-divergence").hidden = true;
    showRequest();
    byId("bloc-validation").hidden = false;
    Permis.showMessage(byId("avis"), "Vos données sont corrigées. Vérifiez encore la demande, puis validez-la.", "succes");
    byId("titre-validation").focus();
  });

  byId("recharger").addEventListener("click", () => window.location.reload());
  window.addEventListener("hashchange", () => window.location.reload()); // another request's link

  load();
})();
