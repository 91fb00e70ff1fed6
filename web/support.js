"use strict";
// The support desk for agents (prefecture administrators and DDT instructors): the open messages of
// their département, oldest first, flagged "Bientôt 7 jours" / "Délai dépassé" (GET /staff/support);
// open one (GET /staff/support/{id}) and answer it (POST /staff/support/{id}/answer): the answer is
// emailed to the sender. Another agent's answer landing first is said as the API says it (409).

(function supportDesk() {
  const byId = (id) => document.getElementById(id);
  const el = Permis.el;
  const AGENTS = ["prefecture", "instructeur-ddt"];
  const PROFILES = { "auto-ecole": "Auto-école", candidat: "Candidat", autre: "Autre" };
  const answerForm = byId("formulaire-reponse");
  let current = null; // the ticket shown

  function badges(ticket) {
    const list = [];
    if (ticket.overdue) list.push(el("span", { className: "fr-badge fr-badge--sm fr-badge--error", text: "Délai dépassé" }));
    else if (ticket.near_deadline) list.push(el("span", { className: "fr-badge fr-badge--sm fr-badge--warning", text: "Bientôt 7 jours" }));
    if (ticket.status === "repondu") list.push(el("span", { className: "fr-badge fr-badge--sm fr-badge--success", text: "Répondu" }));
    return list;
  }

  /** "2026-12-02T03:19:00Z" -> "02/12/2026 04:19" (Paris): the queue's column stays narrow. */
  function shortDate(iso) {
    return new Date(iso).toLocaleString("fr-FR", { dateStyle: "short", timeStyle: "short", timeZone: "Europe/Paris" });
  }

  function sender(ticket) {
    return (ticket.sender_name ? ticket.sender_name + " (" + PROFILES[ticket.profile] + ")" : PROFILES[ticket.profile]);
  }

  async function start() {
    if (!await Permis.profileFor(AGENTS, "Cette page est réservée aux agents de la préfecture et de la DDT.")) return;
    await loadQueue();
  }

  async function loadQueue() {
    const result = await Permis.callApi("/staff/support", { token: true });
    if (result.sessionOver) return;
    byId("bloc-file").hidden = false;
    if (!result.ok) {
      Permis.showMessage(byId("etat-file"), result.data.message, "echec");
      return;
    }
    const queue = result.data;
    byId("departement-support").textContent = queue.departement ? "Département " + queue.departement : "";
    const tickets = queue.tickets;
    Permis.showMessage(byId("etat-file"), tickets.length ? tickets.length + (tickets.length > 1
      ? " messages attendent une réponse." : " message attend une réponse.") : "Aucun message n'attend de réponse.",
    "info");
    if (!tickets.length) {
      byId("tableau-file").replaceChildren();
      return;
    }
    const rows = tickets.map((ticket) => el("tr", {},
      el("th", { scope: "row" }, ticket.subject, el("span", { className: "fr-hint-text", text: ticket.topic_label })),
      el("td", { text: sender(ticket) }),
      el("td", { text: shortDate(ticket.opened_at) }),
      el("td", {}, badges(ticket).length ? badges(ticket) : "Dans les délais"),
      el("td", {}, el("button", { type: "button", className: "fr-btn fr-btn--sm fr-btn--secondary",
        text: "Ouvrir", "aria-label": "Ouvrir le message « " + ticket.subject + " »",
        onclick: () => openTicket(ticket.ticket_id) }))));
    byId("tableau-file").replaceChildren(el("div", { className: "fr-table fr-table--sm" },
      el("div", { className: "fr-table__wrapper" },
        el("div", { className: "fr-table__container" },
          el("div", { className: "fr-table__content" },
            el("table", {},
              el("caption", { className: "fr-sr-only", text: "Messages en attente de réponse, les plus anciens d'abord" }),
              el("thead", {}, el("tr", {}, ["Objet", "Expéditeur", "Envoyé le", "Délai", "Action"]
                .map((header) => el("th", { scope: "col", text: header })))),
              el("tbody", {}, rows)))))));
  }

  function show(ticket) {
    current = ticket;
    byId("titre-message").textContent = "Message n° " + ticket.ticket_id + " : " + ticket.subject;
    byId("badges-message").replaceChildren(...badges(ticket));
    const pairs = [["Expéditeur", sender(ticket)], ["Adresse de réponse", ticket.email], ["Sujet", ticket.topic_label],
      ["Demande", ticket.request_id], ["Envoyé le", Permis.formatDate(ticket.opened_at, true)],
      ["Réponse promise au plus tard le", Permis.formatDate(ticket.promised_by)]];
    byId("fiche-message").replaceChildren(...pairs.filter(([, value]) => value)
      .flatMap(([term, value]) => [el("dt", { text: term }), el("dd", { text: value })]));
    byId("texte-message").textContent = ticket.message;
    const answered = ticket.status === "repondu";
    byId("reponse-existante").hidden = !answered;
    if (answered) {
      byId("titre-reponse-existante").textContent = "Réponse de " + (ticket.answered_by_name || "un agent") + ", le "
        + Permis.formatDate(ticket.answered_at, true);
      byId("texte-reponse-existante").textContent = ticket.answer;
    }
    byId("answer").closest(".fr-input-group").hidden = answered;
    byId("repondre").closest("li").hidden = answered;
    byId("bloc-file").hidden = true;
    byId("bloc-message").hidden = false;
    byId("titre-message").focus();
  }

  async function openTicket(ticketId) {
    Permis.showMessage(byId("avis"), "");
    const result = await Permis.callApi("/staff/support/" + encodeURIComponent(ticketId), { token: true });
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showMessage(byId("etat-file"), result.data.message, "echec");
      return;
    }
    answerForm.reset();
    Permis.clearErrors(answerForm);
    Permis.showMessage(byId("etat-reponse"), "");
    show(result.data);
  }

  answerForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = byId("repondre");
    if (button.disabled || !current) return;
    Permis.clearErrors(answerForm);
    const missing = Permis.checkRequired(answerForm);
    if (missing.length) {
      Permis.showErrors(answerForm, Permis.formErrors(missing));
      return;
    }
    Permis.busy(button, true, "Envoi de la réponse…");
    const result = await Permis.callApi("/staff/support/" + encodeURIComponent(current.ticket_id) + "/answer",
      { method: "POST", token: true, body: { answer: byId("answer").value.trim() } });
    Permis.busy(button, false);
    if (result.sessionOver) return;
    if (!result.ok) {
      Permis.showErrors(answerForm, result.data);
      return;
    }
    show(result.data.ticket);
    Permis.showMessage(byId("etat-reponse"), result.data.message, "succes");
    byId("etat-reponse").focus();
  });

  byId("retour-file").addEventListener("click", async () => {
    const message = byId("etat-reponse").textContent;
    byId("bloc-message").hidden = true;
    current = null;
    await loadQueue();
    if (message) Permis.showMessage(byId("avis"), message, "succes");
    byId("titre-file").focus();
  });

  start();
})();
