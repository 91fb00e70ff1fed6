"use strict";
// The local mailbox (make run only): GET /boite-mail.json, served by the local web server next to
// the pages, lists the emails the application sent through the local SES, newest first. The chosen
// email is shown in a sandboxed iframe (no scripts, no access to this page); its links open in a
// new tab so that the pages they lead to run normally.

(function boiteMail() {
  const byId = (id) => document.getElementById(id);
  const el = Permis.el;
  let messages = [];
  let selectedId = null;

  // Links of the email open in a new tab: this page's server forbids being framed, so a link
  // followed inside the iframe would show an error. <base target> is added to the email's <head>.
  function withLinksInNewTab(html) {
    const base = '<base target="_blank">';
    if (/<head[^>]*>/i.test(html)) return html.replace(/<head[^>]*>/i, (head) => head + base);
    return base + html;
  }

  function recipients(message) {
    return Array.isArray(message.to) ? message.to.join(", ") : String(message.to || "");
  }

  function open(message, moveFocus) {
    selectedId = message.id;
    byId("liste").querySelectorAll("button").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.id === String(message.id)));
    });
    byId("titre-lecture").textContent = message.subject || "(sans objet)";
    byId("destinataires").textContent = "À : " + recipients(message);
    const frame = byId("apercu");
    frame.title = "Contenu du courriel : " + (message.subject || "sans objet");
    frame.srcdoc = withLinksInNewTab(String(message.html || ""));
    byId("bloc-lecture").hidden = false;
    if (moveFocus) byId("titre-lecture").focus();
  }

  function showList() {
    const list = byId("liste");
    list.replaceChildren(...messages.map((message, index) => el("li", {},
      el("button", {
        type: "button",
        "data-id": String(message.id),
        "aria-pressed": "false",
        onclick: () => open(message, true),
      },
      el("span", { className: "objet", text: message.subject || "(sans objet)" }),
      el("span", { className: "destinataire", text: "À : " + recipients(message) }),
      el("span", { className: "fr-sr-only", text: index === 0 ? " (le plus récent)" : "" })))));
  }

  async function refresh() {
    const button = byId("actualiser");
    const state = byId("etat");
    Permis.busy(button, true, "Actualisation…");
    Permis.showMessage(state, "Chargement des courriels…", "info");
    let data = null;
    try {
      const response = await fetch("boite-mail.json", { cache: "no-store" });
      if (response.ok) data = await response.json();
    } catch (error) {
      data = null;
    }
    Permis.busy(button, false);
    if (!data || !Array.isArray(data.messages)) {
      Permis.showMessage(state, "La boîte mail locale ne répond pas. Elle n'existe qu'avec make run, sur le poste "
        + "de développement : vérifiez qu'il tourne, puis actualisez.", "echec");
      return;
    }
    messages = data.messages;
    showList();
    const count = messages.length;
    Permis.showMessage(state, count === 0
      ? "Aucun courriel pour l'instant : créez un compte, puis actualisez."
      : (count > 1 ? count + " courriels, le plus récent en premier." : "1 courriel."), "info");
    const current = messages.find((message) => message.id === selectedId) || messages[0];
    if (current) open(current, false);
    else byId("bloc-lecture").hidden = true;
  }

  byId("actualiser").addEventListener("click", refresh);
  refresh();
})();
