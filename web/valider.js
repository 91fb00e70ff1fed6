"use strict";
// The candidate validates the request a school filed without mandate: valider.html#demande=<id>,
// the link of the email. Not signed in: the page is remembered (Permis.setReturnTo) and the person
// signs in first, then comes back here. The request is shown read only, then
// POST /requests/{id}/validation {version}. An identity divergence names the fields and the remedy.

(function valider() {
  const byId = (id) => document.getElementById(id);
  const el = Permis.el;
  const requestId = Permis.fragment().get("demande") || "";
  let request = null;

  const notice = Permis.takeNotice();
  if (notice) Permis.showMessage(byId("avis"), notice, "succes");

  const path = (suffix) => "/requests/" + encodeURIComponent(requestId) + (suffix || "");

  /** The end of the page's journey: a titled block, focused. */
  function finish(title, message, hint, kind) {
    byId("bloc-validation").hidden = true;
    byId("titre-fin").textContent = title;
    Permis.showMessage(byId("message-fin"), message, kind);
    byId("indication-fin").textContent = hint || "";
    const block = byId("bloc-fin");
    block.hidden = false;
    block.focus();
  }

  function showRequest() {
    document.title = "Valider la demande n° " + request.request_id + " – Permis en ligne";
    byId("titre").textContent = "Valider la demande n° " + request.request_id;
    byId("intro-demande").textContent = request.school_name
      ? "L'auto-école « " + request.school_name + " » a préparé cette demande pour vous. Vérifiez-la puis validez-la : "
        + "elle ne sera envoyée qu'après votre validation."
      : "Une auto-école a préparé cette demande pour vous. Vérifiez-la puis validez-la : elle ne sera envoyée qu'après "
        + "votre validation.";
    byId("entete").replaceChildren(...Array.from(Demandes.definitions([
      ["Auto-école", request.school_name],
      ["Démarche", request.procedure_label],
      ["Statut", Demandes.statusBadge(request.status, request.status_label)],
    ]).childNodes));
    const deadline = byId("echeance");
    // The deadline only matters while the validation is awaited.
    const awaited = request.validation_deadline && request.status === "attente-validation-usager";
    deadline.hidden = !awaited;
    if (awaited) {
      deadline.textContent = "À valider au plus tard le " + Permis.formatDate(request.validation_deadline, true) + ".";
    }
    byId("informations").replaceChildren(...Demandes.stepsView(request, { headingTag: "h3" }));
    byId("bloc-demande").hidden = false;
    byId("bloc-informations").hidden = false;
  }

  async function load() {
    if (!Demandes.REQUEST_NUMBER.test(requestId)) {
      Permis.showMessage(byId("chargement"), "Ce lien ne désigne pas une demande : ouvrez le lien du courriel "
        + "reçu, en entier, ou retrouvez la demande dans « Mes demandes ».", "echec");
      return;
    }
    // Signed out (or the session ends during the call): connexion.js brings the person back here.
    Permis.setReturnTo("valider.html#demande=" + requestId);
    if (!Permis.accessToken()) {
      Permis.endSession("Connectez-vous pour vérifier et valider la demande n° " + requestId
        + " : vous reviendrez ensuite sur cette demande.");
      return;
    }
    const result = await Permis.callApi(path(), { token: true });
    if (result.sessionOver) return;
    Permis.forgetReturnTo();
    if (!result.ok) {
      Permis.showMessage(byId("chargement"), result.data.message + (result.status === 404
        ? " Vérifiez que vous êtes connecté(e) avec votre compte de candidat, celui de l'adresse qui a reçu le courriel."
        : ""), "echec");
      return;
    }
    request = result.data;
    Permis.showMessage(byId("chargement"), "");
    showRequest();
    const actions = Array.isArray(request.actions) ? request.actions : [];
    if (actions.includes("validate")) {
      byId("bloc-validation").hidden = false;
      return;
    }
    finish("Cette demande n'attend pas votre validation", "Statut de la demande : « " + request.status_label + " ».",
      request.status_hint, "info");
  }

  const form = byId("formulaire-validation");
  const button = byId("valider");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled || !request) return;
    Permis.clearErrors(form);
    byId("bloc-divergence").hidden = true;
    Permis.busy(button, true, "Validation…");
    const result = await Permis.callApi(path("/validation"), {
      method: "POST", token: true, body: { version: request.version },
    });
    if (result.sessionOver) return;
    Permis.busy(button, false);
    if (result.ok) {
      request = result.data;
      showRequest();
      finish("Demande validée", "Merci : la demande est validée. Son statut : « " + request.status_label + " ».",
        request.status_hint, "succes");
      return;
    }
    const code = result.data.code;
    if (code === "identity_mismatch") {
      byId("message-divergence").textContent = result.data.message;
      byId("champs-divergence").replaceChildren(...(result.data.details || [])
        .map((detail) => el("li", { text: detail.message })));
      const block = byId("bloc-divergence");
      block.hidden = false;
      block.focus();
      return;
    }
    if (code === "validation_expired") {
      finish("Le délai de validation est dépassé", result.data.message,
        "Demandez à l'auto-école de vous renvoyer la demande : vous recevrez un nouveau courriel.", "echec");
      return;
    }
    if (code === "changed_meanwhile" || code === "illegal_transition") {
      finish("La demande a changé", result.data.message, "Rechargez la demande pour voir son état actuel.", "echec");
      byId("conflit-fin").hidden = false;
      return;
    }
    Permis.showErrors(form, result.data);
  });

  byId("recharger").addEventListener("click", () => window.location.reload());
  window.addEventListener("hashchange", () => window.location.reload()); // another request's link

  load();
})();
