"use strict";
// A digital mediator's letters to post (GET /mediation/letters): the news of the requests filed with
// people who have neither email nor mobile, newest first, to print and post. Text from the server
// only goes in with textContent.

(function courriers() {
  const byId = (id) => document.getElementById(id);
  const el = Permis.el;

  function letterNode(letter) {
    const paragraphs = String(letter.text || "").split("\n\n").map((text) => el("p", { text }));
    return el("article", { className: "carte fr-mb-3w" },
      el("h3", { className: "fr-h6", text: "Demande n° " + letter.request_id + " – " + letter.recipient }),
      el("p", { className: "fr-hint-text", text: "À poster à : " + letter.recipient + ", " + letter.address
        + " (nouvelle du " + Permis.formatDate(letter.at, true) + ")" }),
      ...paragraphs);
  }

  async function load() {
    if (!await Permis.profileFor(["mediateur"], "Cette page est réservée aux médiateurs numériques.")) return;
    byId("bloc-courriers").hidden = false;
    const answer = await Permis.callApi("/mediation/letters", { token: true });
    if (answer.sessionOver) return;
    if (!answer.ok) {
      Permis.showMessage(byId("etat-courriers"), answer.data.message, "echec");
      return;
    }
    const letters = answer.data.letters || [];
    Permis.showMessage(byId("etat-courriers"), letters.length
      ? letters.length + (letters.length > 1 ? " courriers à envoyer." : " courrier à envoyer.")
      : "Aucun courrier à envoyer.");
    byId("liste-courriers").replaceChildren(...letters.map(letterNode));
    byId("imprimer").hidden = !letters.length;
  }

  byId("imprimer").addEventListener("click", () => window.print());
  load();
})();
