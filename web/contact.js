"use strict";
// Contact and help: the support's contact form, answered within 7 days.
// Not signed in (or unable to sign in: the point of support): profile, département, email and the
// anti-robot proof, POST /support/contact; the answer comes by email only.
// A signed-in school or candidate: POST /support/tickets (the account gives the profile, the email
// and the département; a school may name one of its requests, GET /requests), and below the form
// the list of their messages with their status and answers (GET /support/tickets).

(function contact() {
  const byId = (id) => document.getElementById(id);
  const el = Permis.el;
  const form = byId("formulaire");
  const button = byId("envoyer");
  const SENDERS = { "auto-ecole": "l'auto-école", candidat: "candidat" };
  const antirobot = Permis.bindAntirobot(form.querySelector("altcha-widget"));
  let me = null; // the signed-in school or candidate, else null

  function value(id) {
    return byId(id).value.trim();
  }

  async function start() {
    if (!Permis.hasSession()) return; // the public form as the page shows it
    const result = await Permis.profile();
    if (result.sessionOver || !result.ok || !SENDERS[result.data.role]) return;
    me = result.data;
    byId("champ-profile").hidden = true;
    byId("bloc-anonyme").hidden = true;
    byId("bloc-departement").hidden = true; // the account's (the school's address) unless the API asks
    const who = byId("qui-ecrit");
    who.textContent = "Vous écrivez en tant que " + (me.role === "auto-ecole" ? "membre de l'auto-école" : "candidat")
      + " : la réponse sera envoyée à " + me.email + " et affichée ci-dessous, dans « Mes messages au support ».";
    who.hidden = false;
    await Promise.all([loadRequests(), loadTickets()]);
  }

  async function loadRequests() {
    const result = await Permis.callApi("/requests", { token: true });
    if (!result.ok || !result.data.requests.length) return;
    const select = byId("request_id");
    for (const request of result.data.requests) {
      select.append(el("option", { value: request.request_id,
        text: request.request_id + " – " + request.candidate_name + " (" + request.status_label + ")" }));
    }
    const wanted = Permis.fragment().get("demande");
    if (wanted && /^\d{12}$/.test(wanted)) select.value = wanted;
    byId("bloc-demande").hidden = false;
  }

  function badge(ticket) {
    const answered = ticket.status === "repondu";
    return el("p", { className: "fr-badge fr-badge--sm " + (answered ? "fr-badge--success" : "fr-badge--info"),
      text: ticket.status_label });
  }

  function ticketCard(ticket) {
    const headingId = "message-" + ticket.ticket_id;
    return el("article", { className: "message-support fr-mb-3w", "aria-labelledby": headingId },
      el("h3", { className: "fr-h6 fr-mb-1w", id: headingId, text: ticket.subject }),
      badge(ticket),
      el("p", { className: "fr-text--sm fr-mb-1w",
        text: "Message n° " + ticket.ticket_id + " · " + ticket.topic_label + " · envoyé le "
          + Permis.formatDate(ticket.opened_at, true)
          + (ticket.request_id ? " · demande n° " + ticket.request_id : "") }),
      el("p", { className: "texte-message", text: ticket.message }),
      ticket.answer
        ? el("div", { className: "fr-callout reponse-support" },
          el("p", { className: "fr-callout__title", text: "Réponse du support, le " + Permis.formatDate(ticket.answered_at, true) }),
          el("p", { className: "fr-callout__text texte-message", text: ticket.answer }))
        : el("p", { className: "fr-text--sm", text: "Réponse au plus tard le " + Permis.formatDate(ticket.promised_by) + "." }));
  }

  async function loadTickets() {
    const result = await Permis.callApi("/support/tickets", { token: true });
    if (result.sessionOver) return;
    byId("bloc-messages").hidden = false;
    if (!result.ok) {
      Permis.showMessage(byId("etat-messages"), result.data.message, "echec");
      return;
    }
    const tickets = result.data.tickets;
    Permis.showMessage(byId("etat-messages"), tickets.length ? "" : "Vous n'avez pas encore écrit au support.",
      tickets.length ? null : "info");
    byId("liste-messages").replaceChildren(...tickets.map(ticketCard));
  }

  function fields() {
    const body = { topic: value("topic"), subject: value("subject"), message: byId("message").value.trim() };
    if (!byId("bloc-departement").hidden) body.departement = value("departement");
    if (me) {
      if (value("request_id")) body.request_id = value("request_id");
    } else {
      body.profile = (form.querySelector('input[name="profile"]:checked') || {}).value;
      body.email = value("email");
    }
    return body;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    let result;
    if (me) {
      Permis.clearErrors(form);
      const missing = Permis.checkRequired(form);
      if (missing.length) {
        Permis.showErrors(form, Permis.formErrors(missing));
        return;
      }
      Permis.busy(button, true, "Envoi du message…");
      result = await Permis.callApi("/support/tickets", { method: "POST", token: true, body: fields() });
    } else {
      const altcha = await Permis.checkedProof(form, button, antirobot);
      if (!altcha) return;
      Permis.busy(button, true, "Envoi du message…");
      result = await Permis.callApi("/support/contact", { method: "POST", body: { ...fields(), altcha } });
      antirobot.reset(); // a proof serves once
    }
    Permis.busy(button, false);
    if (result.sessionOver) return;
    if (!result.ok) {
      // A candidate whose account has no address chooses the département, as the API says.
      if ((result.data.details || []).some((detail) => detail.field === "departement")) {
        byId("bloc-departement").hidden = false;
      }
      Permis.showErrors(form, result.data);
      return;
    }
    form.reset();
    byId("bloc-formulaire").hidden = true;
    Permis.showMessage(byId("confirmation"), result.data.message, "succes");
    byId("bloc-confirmation").hidden = false;
    byId("bloc-confirmation").focus();
    if (me) await loadTickets();
  });

  byId("autre-message").addEventListener("click", () => {
    byId("bloc-confirmation").hidden = true;
    Permis.showMessage(byId("confirmation"), "");
    byId("bloc-formulaire").hidden = false;
    byId("topic").focus();
  });

  start();
})();
