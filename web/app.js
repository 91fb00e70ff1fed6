"use strict";
// Health page: reads the API address from /config.json, shows the API state, and lets one
// submit a demo message and follow its processing. User text is only ever set with textContent.

async function apiBase() {
  const response = await fetch("config.json", { cache: "no-store" });
  return (await response.json()).apiUrl;
}

function show(element, text, kind) {
  element.textContent = text;
  element.className = kind || "";
}

async function checkHealth(api) {
  const state = document.getElementById("etat-api");
  try {
    const response = await fetch(api + "/health");
    const health = await response.json();
    if (!response.ok) throw new Error(health.message || "réponse inattendue");
    show(state, "Le service fonctionne.", "ok");
    document.getElementById("stage").textContent = health.stage;
    document.getElementById("version").textContent = health.version;
    document.getElementById("details-api").hidden = false;
  } catch (error) {
    show(state, "Le service ne répond pas : réessayez dans quelques instants.", "ko");
  }
}

async function follow(api, id, tracker) {
  for (let attempt = 0; attempt < 40; attempt++) {
    const response = await fetch(api + "/demo/messages/" + encodeURIComponent(id));
    const message = await response.json();
    if (message.status === "processed") {
      show(tracker, "Message « " + message.text + " » : " + message.status_label + ".", "ok");
      return;
    }
    show(tracker, "Message « " + message.text + " » : " + message.status_label + ", traitement en cours…");
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  show(tracker, "Le message n'a pas pu être traité : il a été placé dans la file des messages en échec.", "ko");
}

async function submitDemo(api, event) {
  event.preventDefault();
  const input = document.getElementById("texte");
  const error = document.getElementById("erreur-texte");
  const tracker = document.getElementById("suivi-demo");
  show(error, "");
  input.removeAttribute("aria-invalid");
  try {
    const response = await fetch(api + "/demo/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: input.value }),
    });
    const body = await response.json();
    if (!response.ok) {
      const detail = (body.details || []).find((d) => d.field === "text");
      show(error, detail ? detail.message : body.message, "erreur");
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    input.value = "";
    await follow(api, body.id, tracker);
  } catch (failure) {
    show(tracker, "Le message n'a pas pu être envoyé : vérifiez votre connexion puis réessayez.", "ko");
  }
}

(async function start() {
  const api = await apiBase();
  checkHealth(api);
  document.getElementById("formulaire-demo").addEventListener("submit", (event) => submitDemo(api, event));
})();
