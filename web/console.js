"use strict";
// The agents' console (same journey as the `permis-agent` command).
// Instructors (DDT, CERT): their queue's state (GET /staff/queue), "Prendre la demande suivante"
// (POST /staff/claims), the claimed request with its documents (a one-minute link each, GET
// /staff/requests/{id}/documents/{document}; the identity document with the ePhoto photo and
// signature beside it, documents ephoto-photo and ephoto-signature), pre-checks and history;
// extend or release the claim;
// decide (POST /staff/requests/{id}/decision: valider, complement with the documents to replace
// and reasons, rejeter with reasons; GET /staff/reasons), after a confirmation step that repeats
// each pre-check "À vérifier" to tick (acknowledged); then the next request opens by itself unless
// the agent unticks "Ouvrir la demande suivante". Private notes (GET/POST .../notes), the thread
// with the filing side (GET/POST .../messages; #demande=N, a message email's link, opens that
// request). Single-key shortcuts (S, V, C, R, L, N, P) that a toggle turns off.
// Prefecture administrators: the queues of their authorities (GET /staff/queues/{authority}), who
// read a request (GET .../reads), the dead letters and their redrive.
// The requests this tab claimed are remembered in sessionStorage, so that the agent can go back
// to the queue and resume them (the claim lasts 15 minutes, extendable).

(function agentsConsole() {
  const byId = (id) => document.getElementById(id);
  const el = Permis.el;
  const INSTRUCTORS = ["instructeur-ddt", "instructeur-cert"];
  const ADMINISTRATORS = ["prefecture"];
  const REFRESH_MS = 30 * 1000;
  const HELD_KEY = "permis.console.prises";

  let me = null;
  let current = null; // the request shown (StaffRequestView)
  let reasons = null; // GET /staff/reasons, once
  let authority = null; // the administrator's queue shown
  let view = null; // "file", "demande", "admin"

  const notice = Permis.takeNotice();
  if (notice) Permis.showMessage(byId("avis"), notice, "info");

  // --- Small helpers -----------------------------------------------------------------------

  function time(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso || "";
    return date.toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit", timeZone: "Europe/Paris" });
  }

  function number(value) {
    return Number(value).toLocaleString("fr-FR");
  }

  function badge(text, kind) {
    return el("span", { className: "fr-badge fr-badge--sm fr-badge--no-icon" + (kind ? " fr-badge--" + kind : ""), text });
  }

  /** A DSFR table: caption, column headers, rows of cells (text or nodes). */
  function table(caption, headers, rows, captionHidden) {
    return el("div", { className: "fr-table fr-table--sm" },
      el("div", { className: "fr-table__wrapper" },
        el("div", { className: "fr-table__container", tabindex: "0", role: "region", "aria-label": caption },
          el("div", { className: "fr-table__content" },
            el("table", {},
              el("caption", { className: captionHidden ? "fr-sr-only" : null, text: caption }),
              el("thead", {}, el("tr", {}, headers.map((header) => el("th", { scope: "col", text: header })))),
              el("tbody", {}, rows.map((row) => el("tr", {}, row.map((cell) => el("td", {}, cell))))))))));
  }

  function fiche(list, pairs) {
    list.replaceChildren(...pairs.filter(([, value]) => value !== null && value !== undefined && value !== "")
      .flatMap(([term, value]) => [el("dt", { text: term }), el("dd", {}, value)]));
  }

  function show(which) {
    view = which;
    byId("chargement").hidden = true;
    byId("bloc-file").hidden = which !== "file";
    byId("bloc-demande").hidden = which !== "demande";
    byId("bloc-admin").hidden = which !== "admin";
  }

  function held() {
    try {
      const list = JSON.parse(sessionStorage.getItem(HELD_KEY) || "[]");
      return Array.isArray(list) ? list.filter((id) => /^[0-9A-Za-z-]{1,40}$/.test(id)) : [];
    } catch (error) {
      return [];
    }
  }

  function hold(id, keep) {
    const list = held().filter((known) => known !== id);
    if (keep) list.push(id);
    sessionStorage.setItem(HELD_KEY, JSON.stringify(list.slice(-10)));
  }

  // The page cannot be used by this account: say why and where to go (commun.js).
  const { refused, signedIn } = Permis.staffAccess(["bloc-file", "bloc-demande", "bloc-admin",
    "bloc-raccourcis"], "Accès réservé", () => { view = null; });

  // --- Queue health (instructors and administrators) ----------------------------------------

  function figure(value, label, hint) {
    return el("div", { className: "fr-col-6 fr-col-md-3" },
      el("div", { className: "carte console-chiffre" },
        el("p", { className: "console-nombre", text: value }),
        el("p", { className: "console-libelle", text: label }),
        hint ? el("p", { className: "fr-text--xs fr-mb-0", text: hint }) : null));
  }

  function drawHealth(health, figures, days) {
    const oldest = health.oldest_queued_at
      ? time(health.oldest_queued_at) + (health.oldest_age_hours >= 24
        ? " (" + Permis.formatDate(health.oldest_queued_at) + ")" : "")
      : "—";
    const oldestHint = health.oldest_queued_at
      ? "Attend depuis " + String(health.oldest_age_hours).replace(".", ",") + " h" + (health.oldest_request_id
        ? " : demande " + health.oldest_request_id : "")
      : "Aucune demande n'attend";
    figures.replaceChildren(
      figure(number(health.waiting), "Nouvelles demandes en attente"),
      figure(number(health.returning_waiting), "Revenues d'un complément, en attente", "Servies en premier"),
      figure(number(health.claimed), "Prises en charge en ce moment"),
      figure(oldest, "Plus ancienne en attente depuis", oldestHint));
    const median = health.median_delay_hours === null || health.median_delay_hours === undefined ? null
      : String(health.median_delay_hours).replace(".", ",") + " h";
    const blocks = [];
    if (median) blocks.push(el("p", {}, "Délai médian du dépôt à la décision, sur 7 jours : ", el("strong", { text: median })));
    if (health.decisions_by_day.length) {
      blocks.push(table("Décisions des 7 derniers jours", ["Jour", "Décisions"],
        health.decisions_by_day.map((day) => [Permis.formatDate(day.day), number(day.decisions)])));
    }
    days.replaceChildren(...blocks);
    days.hidden = !blocks.length;
  }

  function updatedNow(element) {
    element.textContent = "Mis à jour à " + new Date().toLocaleTimeString("fr-FR",
      { hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: "Europe/Paris" });
  }

  async function loadQueue(quiet) {
    const button = byId("actualiser");
    if (!quiet) Permis.busy(button, true, "Actualisation…");
    const result = await Permis.callApi("/staff/queue", { token: true });
    if (!quiet) Permis.busy(button, false);
    if (refused(result)) return;
    if (!result.ok) {
      Permis.showMessage(byId("etat-file"), result.data.message, "echec");
      return;
    }
    const health = result.data;
    byId("titre-file").textContent = "Ma file : " + health.authority;
    drawHealth(health, byId("chiffres-file"), byId("bloc-jours"));
    byId("file-vide").hidden = health.waiting + health.returning_waiting > 0;
    updatedNow(byId("mise-a-jour"));
    if (!quiet) Permis.showMessage(byId("etat-file"), "");
  }

  function drawHeld() {
    const list = held().filter((id) => !current || id !== current.request_id || view !== "demande");
    byId("liste-reprendre").replaceChildren(...list.map((id) => el("li", {},
      el("button", { type: "button", className: "fr-btn fr-btn--tertiary fr-btn--sm", text: "Reprendre la demande " + id,
        onclick: () => resume(id) }))));
    byId("bloc-reprendre").hidden = !list.length;
  }

  function showQueue(message, kind) {
    show("file");
    current = null;
    drawHeld();
    if (message) Permis.showMessage(byId("avis"), message, kind || "succes");
    byId("titre-file").focus();
    loadQueue(true);
    loadList(false);
  }

  // --- The worklist: the service's requests, tab by tab ------------------------------------------
  // GET /staff/worklist (each tab from its index, pages by cursor); the sort of the columns applies
  // to the rows shown. A row opens read-only (GET /staff/requests/{id}); "Prendre en charge cette
  // demande" (POST .../claim) when nobody holds it.

  const list = { rows: [], cursor: null, sort: null, descending: false, procedures: false };
  const LIST_FORM = byId("formulaire-filtres");
  const DECISION_LABELS = { valider: "Validée", complement: "Complément demandé", rejeter: "Rejetée" };
  const COLUMNS = [
    ["request_id", "Numéro"], ["procedure_label", "Démarche"], ["candidate_name", "Candidat"],
    ["submitted_at", "Déposée le"], ["since", "Depuis"], [null, "État"]];

  function tab() {
    const checked = document.querySelector('input[name="onglet"]:checked');
    return checked ? checked.value : "a-traiter";
  }

  function waited(iso) {
    if (!iso) return "—";
    const hours = Math.max(0, (Date.now() - new Date(iso).getTime()) / 3600000);
    return hours < 24 ? Math.floor(hours) + " h" : Math.floor(hours / 24) + " j";
  }

  function rowState(row) {
    if (row.decision) return (DECISION_LABELS[row.decision] || row.decision) + (row.decided_by ? " par " + row.decided_by : "");
    if (row.claim) return (row.claim.mine ? "Prise en charge par vous" : "Prise en charge par " + row.claim.agent_name)
      + " jusqu'à " + time(row.claim.lease_until);
    return tab() === "complement" ? "Attend l'auto-école ou le candidat" : "En attente";
  }

  function sortedRows() {
    if (!list.sort) return list.rows;
    const key = list.sort;
    return list.rows.slice().sort((a, b) => {
      const left = a[key] || "";
      const right = b[key] || "";
      const order = String(left).localeCompare(String(right), "fr");
      return list.descending ? -order : order;
    });
  }

  function drawList() {
    const shown = tab();
    const since = shown === "traites" ? "Décidée le" : shown === "complement" ? "Complément demandé le" : "En attente depuis";
    if (!list.rows.length) {
      byId("tableau-liste").replaceChildren(el("p", { className: "fr-text--sm", text: "Aucune demande ici pour ces critères." }));
      byId("page-suivante").hidden = true;
      return;
    }
    const headers = COLUMNS.map(([key, text]) => {
      const label = key === "since" ? since : text;
      if (!key) return el("th", { scope: "col", text: label });
      const sorted = list.sort === key;
      const button = el("button", { type: "button", className: "fr-btn fr-btn--tertiary-no-outline fr-btn--sm console-tri",
        text: label, "aria-label": "Trier par " + label.toLowerCase() + (sorted && !list.descending ? " (décroissant)" : "") });
      button.addEventListener("click", () => {
        list.descending = list.sort === key ? !list.descending : false;
        list.sort = key;
        drawList();
        document.querySelector('#tableau-liste th[data-cle="' + key + '"] button').focus();
      });
      return el("th", { scope: "col", "data-cle": key, "aria-sort": sorted ? (list.descending ? "descending" : "ascending") : "none" }, button);
    });
    const body = sortedRows().map((row) => el("tr", {},
      el("td", {}, el("button", { type: "button", className: "fr-link", text: row.request_id,
        "aria-label": "Ouvrir la demande " + row.request_id + " (" + row.candidate_name + ")",
        onclick: () => openListed(row.request_id) })),
      el("td", { text: row.procedure_label }), el("td", { text: row.candidate_name }),
      el("td", { text: row.submitted_at ? Permis.formatDate(row.submitted_at) : "—" }),
      el("td", { text: shown === "a-traiter" || shown === "en-cours" ? waited(row.since)
        : row.since ? Permis.formatDate(row.since, true) : "—" }),
      el("td", {}, rowState(row), row.message_waiting ? [" ", el("span", {
        className: "fr-badge fr-badge--sm fr-badge--new", text: "Message du demandeur",
        title: "Le demandeur a écrit en dernier sur le fil de la demande : il attend une réponse" })] : null)));
    byId("tableau-liste").replaceChildren(el("div", { className: "fr-table fr-table--sm" },
      el("div", { className: "fr-table__wrapper" },
        el("div", { className: "fr-table__container", tabindex: "0", role: "region", "aria-label": "Les demandes de votre service" },
          el("div", { className: "fr-table__content" },
            el("table", {},
              el("caption", { className: "fr-sr-only", text: "Les demandes de votre service : " + tabLabel() }),
              el("thead", {}, el("tr", {}, headers)), el("tbody", {}, body)))))));
    byId("page-suivante").hidden = !list.cursor;
  }

  function tabLabel() {
    const checked = document.querySelector('input[name="onglet"]:checked');
    return checked ? document.querySelector('label[for="' + checked.id + '"]').textContent : "";
  }

  async function loadList(more) {
    const params = new URLSearchParams({ onglet: tab() });
    [["procedure", byId("filtre-procedure").value], ["nom", byId("filtre-nom").value.trim()],
      ["attente", byId("filtre-attente").value.trim()]].forEach(([key, value]) => { if (value) params.set(key, value); });
    if (tab() === "a-traiter") params.set("ordre", "ancien");
    if (more && list.cursor) params.set("cursor", list.cursor);
    const result = await Permis.callApi("/staff/worklist?" + params.toString(), { token: true });
    if (refused(result)) return;
    if (!result.ok) {
      Permis.showErrors(LIST_FORM, result.data);
      return;
    }
    Permis.clearErrors(LIST_FORM);
    if (!list.procedures) {
      list.procedures = true;
      byId("filtre-procedure").append(...result.data.procedures.map((procedure) =>
        el("option", { value: procedure.code, text: procedure.label })));
    }
    list.rows = more ? list.rows.concat(result.data.rows) : result.data.rows;
    list.cursor = result.data.next_cursor;
    drawList();
    Permis.showMessage(byId("etat-liste"), tabLabel() + " : " + list.rows.length + " demande" + (list.rows.length > 1 ? "s" : "")
      + " affichée" + (list.rows.length > 1 ? "s" : "") + (list.cursor ? ", d'autres suivent" : "") + ".");
  }

  document.querySelectorAll('input[name="onglet"]').forEach((radio) => radio.addEventListener("change", () => {
    list.sort = null;
    loadList(false);
  }));
  LIST_FORM.addEventListener("submit", (event) => {
    event.preventDefault();
    list.sort = null;
    loadList(false);
  });
  byId("page-suivante").addEventListener("click", () => loadList(true));

  const SEARCH_FORM = byId("formulaire-recherche");
  SEARCH_FORM.addEventListener("submit", async (event) => {
    event.preventDefault();
    const number = Permis.twelveDigits(SEARCH_FORM, byId("recherche"), "erreur-number",
      "Un numéro de demande ou un NEPH fait 12 chiffres, par exemple 261112345678.");
    if (!number) return;
    const button = byId("chercher");
    Permis.busy(button, true, "Recherche…");
    const result = await Permis.callApi("/staff/search/" + encodeURIComponent(number), { token: true });
    Permis.busy(button, false);
    if (refused(result)) return;
    if (!result.ok) {
      Permis.showErrors(SEARCH_FORM, result.data);
      return;
    }
    if (result.data.rows.length === 1) {
      openListed(result.data.rows[0].request_id);
      return;
    }
    if (!result.data.rows.length) {
      Permis.showErrors(SEARCH_FORM, Permis.formErrors([{ errorId: "erreur-number",
        message: "Aucune demande de votre service ne porte ce numéro ou ce NEPH : vérifiez-le." }]));
      return;
    }
    list.rows = result.data.rows;
    list.cursor = null;
    drawList();
    Permis.showMessage(byId("etat-liste"), result.data.rows.length + " demandes trouvées pour " + number + ".");
  });

  async function openListed(id) {
    Permis.showMessage(byId("avis"), "");
    const result = await Permis.callApi("/staff/requests/" + encodeURIComponent(id), { token: true });
    if (refused(result)) return;
    if (!result.ok) {
      Permis.showMessage(byId("etat-liste"), result.data.message, "echec");
      return;
    }
    const mine = result.data.claim && result.data.claim.mine;
    if (mine) hold(id, true);
    showRequest(result.data, mine ? "Demande " + id + " reprise." : "Demande " + id + " ouverte en lecture.");
  }

  byId("prendre-celle-ci").addEventListener("click", async () => {
    const button = byId("prendre-celle-ci");
    if (button.disabled || !current) return;
    Permis.busy(button, true, "Prise en charge…");
    const result = await Permis.callApi("/staff/requests/" + encodeURIComponent(current.request_id) + "/claim",
      { method: "POST", body: {}, token: true });
    Permis.busy(button, false);
    if (refused(result)) return;
    if (!result.ok) {
      Permis.showMessage(byId("etat-demande"), result.data.message, "echec");
      return;
    }
    hold(result.data.request_id, true);
    showRequest(result.data, "Demande " + result.data.request_id + " prise en charge.");
  });

  // --- Claiming ---------------------------------------------------------------------------

  /** POST /staff/claims: the next request of the queue, shown held; `done` (the previous decision's
   *  message, when the agent goes on from one request to the next) is said first. */
  async function claimNext(button, done) {
    if (button.disabled) return;
    Permis.showMessage(byId("avis"), done || "", done ? "succes" : null);
    Permis.busy(button, true, "Recherche de la demande suivante…");
    const result = await Permis.callApi("/staff/claims", { method: "POST", body: {}, token: true });
    Permis.busy(button, false);
    if (refused(result)) return;
    if (!result.ok) {
      if (done) showQueue(done, "succes");
      Permis.showMessage(byId("etat-file"), result.data.message, "echec");
      return;
    }
    if (!result.data.request) {
      if (done) showQueue(done + " Votre file est vide : plus de demande à ouvrir.", "succes");
      byId("file-vide").hidden = false;
      Permis.showMessage(byId("etat-file"), "Aucune demande en attente dans votre file : revenez plus tard ou actualisez.", "info");
      loadQueue(true);
      return;
    }
    hold(result.data.request.request_id, true);
    showRequest(result.data.request, result.data.message);
  }

  byId("prendre-suivante").addEventListener("click", () => claimNext(byId("prendre-suivante")));

  byId("actualiser").addEventListener("click", () => loadQueue(false));

  async function resume(id) {
    Permis.showMessage(byId("avis"), "");
    const result = await Permis.callApi("/staff/requests/" + encodeURIComponent(id), { token: true });
    if (refused(result)) return;
    const seen = result.ok ? result.data : null;
    if (!seen || seen.status !== "en-instruction" || !seen.claim || !seen.claim.mine) {
      hold(id, false);
      drawHeld();
      Permis.showMessage(byId("etat-file"), result.ok
        ? "La demande " + id + " ne vous est plus réservée (" + seen.status_label
          + ") : prenez la demande suivante de la file."
        : result.data.message, "attention");
      return;
    }
    showRequest(seen, "Demande " + id + " reprise.");
  }

  // --- The claimed request ----------------------------------------------------------------

  const CHECKS = { true: ["Conforme", "success"], false: ["À vérifier", "warning"], null: ["Pour information", "info"] };
  const DOCUMENT_STATES = { accepted: "success", refused: "error", pending: "info", awaiting_upload: "warning" };
  const TRAINING = { traditionnelle: "Traditionnelle", aac: "Apprentissage anticipé (AAC)", supervisee: "Conduite supervisée" };
  const SEX = { F: "Féminin", M: "Masculin" };

  const STREET_TYPES = new Map(Permis.STREET_TYPES || []);
  const EXTENSIONS = { B: "bis", T: "ter", Q: "quater" };

  function address(value) {
    if (!value) return null;
    const type = STREET_TYPES.get(value.street_type) || value.street_type;
    const street = [value.number, EXTENSIONS[value.extension], type ? type.toLowerCase() : null, value.street_name]
      .filter(Boolean).join(" ");
    const commune = value.commune_name || (/^\d[\dAB]\d{3}$/.test(value.commune || "") ? null : value.commune);
    const city = [value.postal_code, commune].filter(Boolean).join(" ");
    return [street, value.complement, city].filter(Boolean).join(", ");
  }

  function birthPlace(place) {
    if (!place) return null;
    return [place.commune, place.departement ? "(" + place.departement + ")" : null,
      place.country && place.country !== "FR" ? place.country : null].filter(Boolean).join(" ");
  }

  function drawClaim() {
    const claim = current.claim;
    const mine = Boolean(claim && claim.mine);
    let text;
    if (mine) {
      text = "Cette demande vous est réservée jusqu'à " + time(claim.lease_until)
        + " (heure de Paris) : aucun autre agent ne la reçoit d'ici là. Prolongez si vous avez besoin de plus de temps ; "
        + "libérez-la si vous ne la traitez pas.";
    } else if (claim) {
      text = claim.agent_name + " instruit cette demande jusqu'à " + time(claim.lease_until) + ".";
    } else if (current.status === "en-instruction") {
      text = "Personne ne tient cette demande : prenez-la en charge pour décider.";
    } else {
      text = "Cette demande n'est pas à instruire (" + current.status_label + ") : elle est ouverte en lecture.";
    }
    byId("texte-prise").textContent = text;
    byId("prolonger").disabled = !mine;
    byId("liberer").disabled = !mine;
    byId("prendre-celle-ci").hidden = Boolean(claim) || current.status !== "en-instruction";
  }

  function drawRequest() {
    const r = current;
    const civil = r.steps.civil_status || {};
    const contact = r.steps.contact || {};
    const categories = r.steps.categories || {};
    byId("titre-demande").textContent = "Demande " + r.request_id + " – " + r.procedure_label;
    byId("badges-demande").replaceChildren(...[badge(r.status_label, "info"),
      r.returning ? badge("Revenue après un complément", "new") : null,
      r.neph ? badge("NEPH " + r.neph, "success") : null].filter(Boolean));
    drawClaim();
    fiche(byId("fiche-candidat"), [
      ["Nom et prénoms", r.candidate_name],
      ["Nom d'usage", civil.usage_name],
      ["Sexe", SEX[civil.sex] || civil.sex],
      ["Date de naissance", civil.birth_date ? Permis.formatDate(civil.birth_date) : null],
      ["Lieu de naissance", birthPlace(civil.birth_place)],
      ["Adresse", address(contact.address)],
      ["Courriel", contact.email],
      ["Téléphone", contact.mobile_phone],
      ["NEPH", r.neph],
    ]);
    fiche(byId("fiche-demande"), [
      ["Numéro", r.request_id],
      ["Démarche", r.procedure_label],
      ["Catégories", (categories.categories || []).join(", ") || null],
      ["Formation", TRAINING[categories.training_path] || categories.training_path],
      ["Service", r.authority],
      ["Auto-école", r.school_name || "Aucune (candidat libre)"],
      ["Déposée le", r.submitted_at ? Permis.formatDate(r.submitted_at, true) : null],
      ["Dans la file depuis", r.queued_at ? Permis.formatDate(r.queued_at, true) : null],
    ]);

    byId("resume-controles").replaceChildren(...checksSummary(r.pre_checks));
    byId("liste-controles").replaceChildren(...r.pre_checks.map((check) => {
      const [label, kind] = CHECKS[String(check.ok)] || CHECKS.null;
      return el("li", { className: "console-controle" }, badge(label, kind), " ",
        el("strong", { text: check.label }), check.detail ? el("span", { text: " : " + check.detail }) : null);
    }));

    // A list rather than a table: it stays readable in the narrow column beside the viewer.
    byId("tableau-pieces").replaceChildren(r.documents.length
      ? el("ul", { className: "console-pieces", "aria-label": "Pièces de la demande " + r.request_id },
        r.documents.map((piece) => el("li", { className: "console-piece-ligne" },
          el("p", { className: "fr-mb-1v" }, el("strong", { text: piece.label }), " ",
            badge(piece.state_label, DOCUMENT_STATES[piece.state]),
            piece.refusal ? el("span", { className: "fr-text--sm", text: " " + piece.refusal }) : null),
          piece.can_open ? openButton(piece) : piece.document === "ephoto" ? ephotoButton()
            : el("p", { className: "fr-text--sm fr-mb-0", text: "Non consultable" }))))
      : el("p", { text: "Aucune pièce jointe." }));

    byId("tableau-historique").replaceChildren(r.history.length
      ? table("Historique de la demande " + r.request_id, ["Date", "Statut", "Par", "Motif"], r.history.map((row) => [
        Permis.formatDate(row.at, true), row.to_label, row.actor_label, historyReason(row)]), true)
      : el("p", { text: "Aucun historique." }));
    drawDocumentsChoice();
  }

  /** The history's last column: the reason given to the filer, and for a validation the points
   *  "À vérifier" the agent confirmed having checked (agents only). */
  function historyReason(row) {
    if (!row.acknowledged || !row.acknowledged.length) return row.reason || "—";
    return el("span", {}, row.reason ? row.reason + " " : "", el("strong", { text: "Points vérifiés par l'agent : " }),
      row.acknowledged.join(" ; "));
  }

  // --- The whole request as one PDF (made in a few seconds by the documents' worker) ----------

  const DOSSIER_WAIT_MS = 60 * 1000;

  byId("demander-dossier").addEventListener("click", async () => {
    const button = byId("demander-dossier");
    if (button.disabled || !current) return;
    const id = current.request_id;
    const state = byId("etat-dossier");
    Permis.busy(button, true, "Préparation du dossier…");
    const asked = await Permis.callApi("/staff/requests/" + encodeURIComponent(id) + "/dossier",
      { method: "POST", body: {}, token: true });
    if (refused(asked)) return;
    if (!asked.ok) {
      Permis.busy(button, false);
      Permis.showMessage(state, asked.data.message, "echec");
      return;
    }
    Permis.showMessage(state, asked.data.message, "info");
    const path = "/staff/requests/" + encodeURIComponent(id) + "/dossier/" + encodeURIComponent(asked.data.dossier_id);
    const deadline = Date.now() + DOSSIER_WAIT_MS;
    let result = null;
    while (Date.now() < deadline) {
      await new Promise((resolve) => { setTimeout(resolve, 1000); });
      if (!current || current.request_id !== id) { // the agent moved on
        Permis.busy(button, false);
        return;
      }
      result = await Permis.callApi(path, { token: true });
      if (refused(result)) return;
      if (result.ok || result.status !== 409) break;
    }
    Permis.busy(button, false);
    if (!result || !result.ok) {
      Permis.showMessage(state, result && result.status !== 409 ? result.data.message
        : "Le dossier n'est pas encore prêt : redemandez-le dans un instant.", "attention");
      return;
    }
    const link = el("a", { className: "fr-link fr-icon-download-line fr-link--icon-left", href: result.data.url,
      text: "Télécharger le dossier de la demande " + id + " (PDF, lien valable une minute)" });
    state.replaceChildren(link);
    state.className = "";
    link.focus();
  });

  // --- Private notes -----------------------------------------------------------------------

  async function loadNotes() {
    const id = current.request_id;
    const result = await Permis.callApi("/staff/requests/" + encodeURIComponent(id) + "/notes", { token: true });
    if (refused(result) || !current || current.request_id !== id) return;
    if (!result.ok) {
      Permis.showMessage(byId("etat-notes"), result.data.message, "echec");
      return;
    }
    drawNotes(result.data.notes);
  }

  function drawNotes(notes) {
    byId("liste-notes").replaceChildren(notes.length
      ? el("ul", { className: "console-notes" }, notes.map((note) => el("li", { className: "carte fr-mb-1w" },
        el("p", { className: "fr-text--xs fr-mb-1v", text: Permis.formatDate(note.at, true) + " – " + note.agent_name }),
        el("p", { className: "fr-mb-0 console-note", text: note.text }))))
      : el("p", { className: "fr-text--sm", text: "Aucune note pour le moment." }));
  }

  const noteForm = byId("formulaire-note");
  noteForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!current) return;
    Permis.clearErrors(noteForm);
    const problems = Permis.checkRequired(noteForm);
    if (problems.length) {
      Permis.showErrors(noteForm, Permis.formErrors(problems));
      return;
    }
    const button = byId("ajouter-note");
    if (button.disabled) return;
    Permis.busy(button, true, "Enregistrement…");
    const result = await Permis.callApi("/staff/requests/" + encodeURIComponent(current.request_id) + "/notes",
      { method: "POST", body: { text: byId("note").value }, token: true });
    Permis.busy(button, false);
    if (refused(result)) return;
    if (!result.ok) {
      Permis.showErrors(noteForm, result.data);
      return;
    }
    noteForm.reset();
    Permis.showMessage(byId("etat-notes"), "Note enregistrée.", "succes");
    loadNotes();
  });

  // The pre-checks in one line: a badge that says whether the agent has something to look at (the
  // DSFR shows badges in capitals), then every kind counted, so that it never contradicts the list:
  // a check is conforme (ok true), à vérifier (false), or only for information (null: it does not
  // apply, or gives a fact with no verdict).
  function checksSummary(checks) {
    if (!checks.length) return ["Aucun contrôle automatique pour cette démarche."];
    const count = (ok) => checks.filter((check) => check.ok === ok).length;
    const looks = count(false);
    const fine = count(true);
    const info = checks.length - looks - fine;
    const plural = (n, word) => n + " " + word + (n > 1 ? "s" : "");
    const kinds = [[fine, plural(fine, "conforme")], [looks, looks + " à vérifier"],
      [info, info + " pour information seulement"]].filter(([n]) => n).map(([, text]) => text);
    return [looks ? badge(plural(looks, "point") + " à vérifier", "warning") : badge("Aucun point à vérifier", "success"),
      " Sur " + plural(checks.length, "vérification") + " automatique" + (checks.length > 1 ? "s" : "") + " : "
        + kinds.join(", ") + "."];
  }

  function openButton(piece) {
    const holder = el("span", { className: "console-piece" });
    const button = el("button", {
      type: "button", className: "fr-btn fr-btn--sm fr-btn--secondary fr-icon-eye-line fr-btn--icon-left",
      text: "Ouvrir", "aria-label": "Ouvrir la pièce : " + piece.label, "data-piece": piece.document,
    });
    let openings = 0;
    button.addEventListener("click", async () => {
      if (button.disabled) return;
      Permis.busy(button, true, "Ouverture…");
      const result = await Permis.callApi("/staff/requests/" + encodeURIComponent(current.request_id)
        + "/documents/" + encodeURIComponent(piece.document), { token: true });
      Permis.busy(button, false);
      if (refused(result)) return;
      if (!result.ok) {
        Permis.showMessage(byId("etat-demande"), result.data.message, "echec");
        return;
      }
      showInViewer(piece, result.data);
      const link = el("a", {
        className: "fr-link fr-icon-download-line fr-link--icon-left", href: result.data.url,
        text: "Télécharger « " + piece.label + " »",
        title: "Télécharger « " + piece.label + " » – lien valable jusqu'à " + time(result.data.expires_at),
        "data-piece": piece.document,
      });
      const hint = el("span", { className: "fr-hint-text", text: "Lien valable une minute, jusqu'à "
        + new Date(result.data.expires_at).toLocaleTimeString("fr-FR", { timeZone: "Europe/Paris" }) });
      const opening = ++openings;
      holder.replaceChildren(button, link, hint);
      link.focus();
      // After its minute the link no longer works: only the button again (unless opened since).
      const left = Math.max(new Date(result.data.expires_at).getTime() - Date.now(), 5000);
      setTimeout(() => {
        if (!holder.isConnected || opening !== openings) return;
        holder.replaceChildren(button);
        button.textContent = "Ouvrir de nouveau";
        if (document.activeElement === link) button.focus();
      }, left);
    });
    holder.append(button);
    return holder;
  }

  // --- The document viewer: the piece in the page, beside the checks ---------------------------
  // Images in <img> with zoom and quarter turns; PDFs in a frame. Both from the link of a minute
  // the API gives (view_url, served inline), so each view is a read the API recorded.

  const viewer = { piece: null, zoom: 1, turns: 0 };

  function showInViewer(piece, file) {
    viewer.piece = piece.document;
    viewer.zoom = 1;
    viewer.turns = 0;
    const frame = byId("cadre-piece");
    const image = file.content_type !== "application/pdf";
    byId("titre-visionneuse").textContent = "Pièce affichée : " + piece.label;
    byId("outils-image").hidden = !image;
    frame.hidden = false;
    frame.replaceChildren(image
      ? el("img", { src: file.view_url, alt: piece.label + " (demande " + current.request_id + ")", id: "image-piece" })
      : el("iframe", { src: file.view_url, title: piece.label + " (PDF)", className: "visionneuse-pdf" }));
    drawViewer();
    // The identity document is compared with the photo and signature the ePhoto operator holds.
    if (piece.document === "identite") showEphoto();
    else hideEphoto();
    byId("visionneuse").hidden = false;
  }

  // --- The ePhoto photo and signature, beside the identity document ----------------------------
  // Loaded through the same route as the pieces (ephoto-photo, ephoto-signature: each view is a
  // read the API records). The first view of a request asks the operator for them: the API
  // answers 409 ephoto_pending for the few seconds the documents' worker takes to fetch and check
  // them, then the link. An unknown code (404) or an operator down (503) is said in their place.

  const EPHOTO_WAIT_MS = 30 * 1000;
  const EPHOTO_PARTS = [
    { part: "photo", name: "ephoto-photo", alt: "Photo ePhoto du candidat" },
    { part: "signature", name: "ephoto-signature", alt: "Signature ePhoto du candidat" },
  ];
  let ephotoShown = 0; // which showing is current: a later one (or another piece) makes earlier ones stop

  function hideEphoto() {
    ephotoShown += 1;
    byId("ephoto").hidden = true;
  }

  async function ephotoLink(id, name, showing) {
    const path = "/staff/requests/" + encodeURIComponent(id) + "/documents/" + name;
    const deadline = Date.now() + EPHOTO_WAIT_MS;
    for (;;) {
      const result = await Permis.callApi(path, { token: true });
      if (result.status !== 409 || Date.now() > deadline || showing !== ephotoShown) return result;
      await new Promise((resolve) => { setTimeout(resolve, 1000); });
    }
  }

  async function showEphoto() {
    const showing = ++ephotoShown;
    const id = current.request_id;
    const images = byId("ephoto-images");
    byId("ephoto").hidden = false;
    images.hidden = false;
    byId("etat-ephoto").replaceChildren();
    for (const { part } of EPHOTO_PARTS) {
      byId("ephoto-" + part).replaceChildren(el("p", { className: "fr-text--xs fr-m-1w", text: "Chargement…" }));
    }
    const results = await Promise.all(EPHOTO_PARTS.map(({ name }) => ephotoLink(id, name, showing)));
    if (showing !== ephotoShown || !current || current.request_id !== id) return;
    const failed = results.find((result) => !result.ok);
    if (failed) {
      if (refused(failed)) return;
      ephotoProblem(failed.status === 409
        ? "La photo et la signature ne sont pas encore arrivées du service ePhoto : réessayez dans un instant."
        : failed.data.message, failed.status === 404 ? "error" : "warning", failed.status !== 404);
      return;
    }
    EPHOTO_PARTS.forEach(({ part, alt }, index) => {
      const image = el("img", { src: results[index].data.view_url, alt });
      image.addEventListener("error", () => {
        if (showing === ephotoShown) {
          ephotoProblem("L'image ePhoto n'a pas pu être affichée : réessayez.", "warning", true);
        }
      });
      byId("ephoto-" + part).replaceChildren(image);
    });
  }

  /** The reason in place of the images (a DSFR alert), and a button to try again when it may pass. */
  function ephotoProblem(message, kind, retry) {
    byId("ephoto-images").hidden = true;
    const button = retry ? el("button", {
      type: "button", className: "fr-btn fr-btn--sm fr-btn--tertiary fr-icon-refresh-line fr-btn--icon-left fr-mt-1w",
      text: "Réessayer", "aria-label": "Réessayer d'afficher la photo et la signature ePhoto",
    }) : null;
    if (button) button.addEventListener("click", showEphoto);
    byId("etat-ephoto").replaceChildren(el("div", { className: "fr-alert fr-alert--sm fr-alert--" + kind },
      el("p", { text: message })), ...(button ? [button] : []));
  }

  /** The ePhoto row of the pieces: shows the photo and signature, beside the identity document
   *  when the request has one that can be seen. */
  function ephotoButton() {
    const holder = el("span", { className: "console-piece" });
    const button = el("button", {
      type: "button", className: "fr-btn fr-btn--sm fr-btn--secondary fr-icon-eye-line fr-btn--icon-left",
      text: "Voir la photo et la signature", "aria-label": "Voir la photo et la signature ePhoto",
    });
    button.addEventListener("click", () => {
      const identity = byId("tableau-pieces").querySelector('button[data-piece="identite"]');
      if (identity) {
        identity.click();
        return;
      }
      viewer.piece = "ephoto";
      byId("titre-visionneuse").textContent = "Photo et signature ePhoto";
      byId("outils-image").hidden = true;
      byId("cadre-piece").hidden = true;
      byId("cadre-piece").replaceChildren();
      byId("etat-visionneuse").textContent = "";
      showEphoto();
      byId("visionneuse").hidden = false;
    });
    holder.append(button, el("span", { className: "fr-hint-text", text: "Affichées à côté du justificatif d'identité" }));
    return holder;
  }

  function drawViewer() {
    const image = byId("image-piece");
    if (!image) return;
    // Zoom by width, so that the frame scrolls over the enlarged piece; quarter turns by transform.
    image.style.width = Math.round(viewer.zoom * 100) + "%";
    image.style.transform = "rotate(" + viewer.turns * 90 + "deg)";
    byId("etat-visionneuse").textContent = "Zoom " + Math.round(viewer.zoom * 100) + " %"
      + (viewer.turns % 4 ? ", tournée de " + (viewer.turns % 4) * 90 + "°" : "");
  }

  byId("zoom-plus").addEventListener("click", () => { viewer.zoom = Math.min(viewer.zoom * 1.5, 6); drawViewer(); });
  byId("zoom-moins").addEventListener("click", () => { viewer.zoom = Math.max(viewer.zoom / 1.5, 0.5); drawViewer(); });
  byId("tourner").addEventListener("click", () => { viewer.turns += 1; drawViewer(); });

  /** The next (step 1) or previous (-1) piece that can be seen, shown in the viewer. */
  function moveDocument(step) {
    const buttons = Array.from(byId("tableau-pieces").querySelectorAll("button[data-piece]"));
    if (!buttons.length) return;
    const openable = current.documents.filter((piece) => piece.can_open).map((piece) => piece.document);
    const at = openable.indexOf(viewer.piece);
    const next = at < 0 ? (step > 0 ? 0 : openable.length - 1) : (at + step + openable.length) % openable.length;
    const button = buttons.find((one) => one.dataset.piece === openable[next]);
    if (button) button.click();
  }

  // The request's thread with its filing side (the same component as on the request's page).
  const thread = Permis.messageThread(byId("fil-messages"), {
    hint: "Pour le demandeur (l'auto-école, le candidat, le médiateur, selon la demande) : un courriel le prévient.",
    sent: "Message envoyé : le demandeur en est prévenu par courriel." });

  function showRequest(request, message) {
    current = request;
    show("demande");
    resetDecision();
    drawRequest();
    byId("bloc-decision").hidden = !(request.claim && request.claim.mine);  // opened read-only from the list
    viewer.piece = null;
    Permis.showMessage(byId("etat-dossier"), "");
    byId("visionneuse").hidden = true;
    byId("cadre-piece").replaceChildren();
    hideEphoto();
    noteForm.reset();
    Permis.clearErrors(noteForm);
    Permis.showMessage(byId("etat-notes"), "");
    // A line in place while the notes load, so that the page does not move under the agent's pointer.
    byId("liste-notes").replaceChildren(el("p", { className: "fr-text--sm", text: "Chargement des notes…" }));
    Permis.showMessage(byId("etat-demande"), message || "", message ? "info" : null);
    byId("titre-demande").focus();
    loadReasons();
    loadNotes();
    thread.show("/staff/requests/" + encodeURIComponent(request.request_id) + "/messages");
  }

  byId("retour-file").addEventListener("click", () => showQueue(current && current.claim && current.claim.mine
    ? "La demande " + current.request_id + " vous reste réservée jusqu'à " + time(current.claim.lease_until)
      + " : reprenez-la ci-dessous." : "", "info"));
  byId("conflit-retour-file").addEventListener("click", () => {
    if (current) hold(current.request_id, false);
    showQueue("");
  });

  /** The claim's two buttons: POST /staff/requests/{id}/<action>, then `done(answer)`; a lost
   *  claim (409) or a refusal is shown the same way for both. */
  function claimAction(buttonId, action, busyText, done) {
    byId(buttonId).addEventListener("click", async () => {
      const button = byId(buttonId);
      if (button.disabled || !current) return;
      Permis.busy(button, true, busyText);
      const result = await Permis.callApi("/staff/requests/" + encodeURIComponent(current.request_id) + "/" + action,
        { method: "POST", body: {}, token: true });
      Permis.busy(button, false);
      if (refused(result)) return;
      if (!result.ok) {
        lostClaim(result);
        return;
      }
      done(result.data);
    });
  }

  claimAction("prolonger", "extend", "Prolongation…", (claim) => {
    current.claim = claim;
    drawClaim();
    Permis.showMessage(byId("etat-demande"), "Prise en charge prolongée jusqu'à " + time(claim.lease_until) + ".", "succes");
  });

  claimAction("liberer", "release", "Libération…", (answer) => {
    hold(current.request_id, false);
    showQueue(answer.message, "succes");
  });

  /** The claim is gone (expired, released elsewhere, someone else decided): say so, offer the queue. */
  function lostClaim(result) {
    Permis.showMessage(byId("etat-demande"), result.data.message, "echec");
    if (result.status === 409) {
      current.claim = null;
      drawClaim();
      byId("retour-conflit").hidden = false;
    }
  }

  // --- Deciding ---------------------------------------------------------------------------

  const form = byId("formulaire-decision");
  const DECISION_WORDS = { valider: "valider", complement: "demander un complément pour", rejeter: "rejeter" };

  async function loadReasons() {
    if (reasons) return;
    const result = await Permis.callApi("/staff/reasons", { token: true });
    if (result.ok) {
      reasons = result.data;
      drawReasons();
    }
  }

  function chosen() {
    const checked = form.querySelector('input[name="decision"]:checked');
    return checked ? checked.value : null;
  }

  function checkbox(name, value, label, index, describedBy, checked) {
    const id = name + "-" + index;
    return el("div", { className: "fr-fieldset__element" },
      el("div", { className: "fr-checkbox-group" },
        el("input", { type: "checkbox", id, name, value, "aria-describedby": describedBy, checked: checked || null }),
        el("label", { className: "fr-label", for: id, text: label })));
  }

  function drawReasons() {
    const decision = chosen();
    const list = !reasons ? [] : decision === "complement" ? reasons.complement : decision === "rejeter" ? reasons.rejection : [];
    byId("choix-motifs").replaceChildren(...list.map((reason, index) =>
      checkbox("motif", reason.code, reason.label, index, "erreur-reasons")));
  }

  function drawDocumentsChoice() {
    if (!current) return;
    byId("choix-documents").replaceChildren(...current.documents.map((piece, index) =>
      checkbox("piece", piece.document, piece.label, index, "erreur-documents",
        piece.state === "refused")));
  }

  function drawDecisionFields() {
    const decision = chosen();
    byId("champ-documents").hidden = decision !== "complement";
    byId("champ-motifs").hidden = !(decision === "complement" || decision === "rejeter");
    byId("groupe-commentaire").hidden = !(decision === "complement" || decision === "rejeter");
    byId("legende-motifs").firstChild.textContent = decision === "rejeter" ? "Motifs du rejet " : "Motifs du complément ";
    drawReasons();
  }

  form.querySelectorAll('input[name="decision"]').forEach((radio) => radio.addEventListener("change", () => {
    byId("bloc-confirmation").hidden = true;
    drawDecisionFields();
  }));

  function resetDecision() {
    form.reset();
    Permis.clearErrors(form);
    byId("retour-conflit").hidden = true;
    byId("bloc-confirmation").hidden = true;
    byId("confirmer-decision").disabled = false;
    form.querySelectorAll("input, textarea, button").forEach((control) => { control.disabled = false; });
    drawDecisionFields();
  }

  function values(name) {
    return Array.from(form.querySelectorAll('input[name="' + name + '"]:checked')).map((box) => box.value);
  }

  function payload() {
    const decision = chosen();
    const body = { version: current.version, decision, reasons: [], documents: [] };
    if (decision !== "valider") {
      body.reasons = values("motif");
      const comment = byId("commentaire").value.trim();
      if (comment) body.comment = comment;
    }
    if (decision === "complement") body.documents = values("piece");
    return body;
  }

  function ownChecks(body) {
    const problems = Permis.checkRequired(form);
    if (problems.length) return problems;
    if (body.decision === "complement" && !body.documents.length) {
      problems.push({ errorId: "erreur-documents", message: "Cochez au moins une pièce à remplacer." });
    }
    if (body.decision !== "valider" && !body.reasons.length) {
      problems.push({ errorId: "erreur-reasons", message: body.decision === "rejeter"
        ? "Cochez au moins un motif de rejet : le demandeur doit savoir pourquoi."
        : "Cochez au moins un motif : le demandeur doit savoir ce qui manque." });
    }
    if (body.reasons.includes("autre") && !body.comment) {
      problems.push({ errorId: "erreur-comment", message: "Précisez le motif « Autre » en quelques mots." });
    }
    return problems;
  }

  function label(list, code) {
    const found = (list || []).find((item) => item.code === code || item.document === code);
    return found ? found.label : code;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!current) return;
    Permis.clearErrors(form);
    const body = payload();
    const problems = ownChecks(body);
    if (problems.length) {
      Permis.showErrors(form, Permis.formErrors(problems));
      return;
    }
    const who = current.candidate_name;
    byId("texte-confirmation").textContent = "Vous allez " + DECISION_WORDS[body.decision] + " la demande "
      + current.request_id + " (" + who + ")." + (body.decision === "rejeter" ? " Un rejet est définitif." : "")
      + (body.decision === "valider" && current.procedure === "inscription" ? nephSentence() : "");
    const list = body.decision === "rejeter" ? reasons && reasons.rejection : reasons && reasons.complement;
    byId("detail-confirmation").replaceChildren(
      ...body.documents.map((code) => el("li", { text: "Pièce à remplacer : " + label(current.documents, code) })),
      ...body.reasons.map((code) => el("li", { text: "Motif : " + label(list, code) })),
      ...(body.comment ? [el("li", { text: "Précisions : " + body.comment })] : []));
    const toVerify = drawVerifications(body.decision);
    byId("bloc-confirmation").hidden = false;
    // One more action decides (Entrée on the focused button); a point to verify is ticked first.
    (toVerify.length ? byId("verification-0") : byId("confirmer-decision")).focus();
  });

  /** What a registration's validation does with the NEPH: the person's own, or a new one. */
  function nephSentence() {
    const check = current.pre_checks.find((one) => one.code === "neph");
    return check && check.ok !== true ? " Cette identité a déjà un NEPH : le candidat le garde."
      : " Un NEPH sera attribué.";
  }

  /** A validation repeats each pre-check "À vérifier" in the confirmation, each to tick; returns them. */
  function drawVerifications(decision) {
    const toVerify = decision === "valider" ? current.pre_checks.filter((check) => check.ok === false) : [];
    byId("erreur-acknowledged").textContent = "";
    byId("champ-verifications").classList.remove("fr-fieldset--error");
    byId("choix-verifications").replaceChildren(...toVerify.map((check, index) => {
      const id = "verification-" + index;
      return el("div", { className: "fr-fieldset__element" },
        el("div", { className: "fr-checkbox-group" },
          el("input", { type: "checkbox", id, name: "verification", value: check.code, "aria-describedby": "erreur-acknowledged" }),
          el("label", { className: "fr-label", for: id, text: "J'ai vérifié : " + check.label },
            el("span", { className: "fr-hint-text", text: check.detail }))));
    }));
    byId("champ-verifications").hidden = !toVerify.length;
    return toVerify;
  }

  function acknowledged() {
    return Array.from(document.querySelectorAll('#choix-verifications input[name="verification"]:checked'))
      .map((box) => box.value);
  }

  /** Every point to verify ticked, else says which is not and puts the focus on it. */
  function verificationsDone() {
    const left = Array.from(document.querySelectorAll('#choix-verifications input[name="verification"]'))
      .filter((box) => !box.checked);
    document.querySelectorAll('#choix-verifications input').forEach((box) => box.removeAttribute("aria-invalid"));
    if (!left.length) return true;
    byId("erreur-acknowledged").textContent = left.length > 1
      ? "Cochez les " + left.length + " points signalés après les avoir vérifiés : la demande ne peut pas être validée avant."
      : "Cochez le point signalé après l'avoir vérifié : la demande ne peut pas être validée avant.";
    byId("champ-verifications").classList.add("fr-fieldset--error");
    left.forEach((box) => box.setAttribute("aria-invalid", "true"));
    left[0].focus();
    return false;
  }

  byId("modifier-decision").addEventListener("click", () => {
    byId("bloc-confirmation").hidden = true;
    const checked = form.querySelector('input[name="decision"]:checked');
    (checked || byId("decision-valider")).focus();
  });

  byId("confirmer-decision").addEventListener("click", async () => {
    const button = byId("confirmer-decision");
    if (button.disabled || !current) return;
    if (!verificationsDone()) return;
    const body = payload();
    if (body.decision === "valider") body.acknowledged = acknowledged();
    Permis.busy(button, true, "Enregistrement…");
    const result = await Permis.callApi("/staff/requests/" + encodeURIComponent(current.request_id) + "/decision",
      { method: "POST", body, token: true });
    Permis.busy(button, false);
    if (refused(result)) return;
    if (!result.ok) {
      byId("bloc-confirmation").hidden = true;
      if (result.status === 409) {
        // Claim expired or released, someone else decided, the request changed: nothing to decide here.
        current.claim = null;
        drawClaim();
        byId("retour-conflit").hidden = false;
        form.querySelectorAll("fieldset input, textarea, #verifier-decision").forEach((control) => { control.disabled = true; });
      }
      if (result.data && result.data.code === "checks_not_acknowledged") await reexamine();
      Permis.showErrors(form, result.data);
      return;
    }
    hold(current.request_id, false);
    const done = result.data.message + " (demande " + result.data.request_id + ").";
    if (byId("enchainer").checked) claimNext(byId("confirmer-decision"), done);
    else showQueue(done, "succes");
  });

  /** The request read again (a check may have changed since it was opened), the decision kept. */
  async function reexamine() {
    const result = await Permis.callApi("/staff/requests/" + encodeURIComponent(current.request_id), { token: true });
    if (!result.ok) return;
    current = result.data;
    drawRequest();
  }

  // "Ouvrir la demande suivante après chaque décision": remembered on this computer.
  const CHAIN_KEY = "permis.console.enchainer";
  byId("enchainer").checked = localStorage.getItem(CHAIN_KEY) !== "non";
  byId("enchainer").addEventListener("change", () => {
    localStorage.setItem(CHAIN_KEY, byId("enchainer").checked ? "oui" : "non");
  });

  // --- Keyboard shortcuts ---------------------------------------------------------------------
  // Single keys, as agents who decide hundreds of requests a day expect; off while typing text,
  // with a modifier, and altogether with the toggle (remembered on this computer).

  const SHORTCUTS_KEY = "permis.console.raccourcis";
  byId("raccourcis-actifs").checked = localStorage.getItem(SHORTCUTS_KEY) !== "non";
  byId("raccourcis-actifs").addEventListener("change", () => {
    localStorage.setItem(SHORTCUTS_KEY, byId("raccourcis-actifs").checked ? "oui" : "non");
  });

  function typing(target) {
    if (!target || !target.tagName) return false;
    if (target.isContentEditable || target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
    return target.tagName === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(target.type);
  }

  /** Chooses a decision as a click on its radio would, then `then()`. */
  function choose(value, then) {
    const radio = byId("decision-" + value);
    if (radio.disabled) return;
    radio.checked = true;
    radio.dispatchEvent(new Event("change", { bubbles: true }));
    then();
  }

  const QUEUE_KEYS = { s: () => byId("prendre-suivante").click() };
  const REQUEST_KEYS = {
    v: () => choose("valider", () => form.requestSubmit(byId("verifier-decision"))),
    c: () => choose("complement", () => {
      const first = byId("choix-documents").querySelector("input");
      (first || byId("decision-complement")).focus();
    }),
    r: () => choose("rejeter", () => {
      const first = byId("choix-motifs").querySelector("input");
      (first || byId("decision-rejeter")).focus();
    }),
    l: () => { if (!byId("liberer").disabled) byId("liberer").click(); },
    n: () => moveDocument(1),
    p: () => moveDocument(-1),
  };

  document.addEventListener("keydown", (event) => {
    if (!byId("raccourcis-actifs").checked || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target) || !me || !INSTRUCTORS.includes(me.role)) return;
    const keys = view === "file" ? QUEUE_KEYS : view === "demande" ? REQUEST_KEYS : {};
    const action = keys[event.key.toLowerCase()];
    if (!action) return;
    event.preventDefault();
    action();
  });

  // --- Administrators ------------------------------------------------------------------------

  function drawAuthorities() {
    const select = byId("service");
    const options = me.departement ? ["DDT-" + me.departement.toUpperCase(), "CERT"] : ["CERT"];
    select.replaceChildren(...options.map((code) => el("option", { value: code, text: code === "CERT"
      ? "CERT (centre d'expertise et de ressources des titres)" : code + " (direction départementale des territoires)" })));
    if (!me.departement) select.append(el("option", { value: "", text: "Autre file…" }));
    authority = options[0];
  }

  byId("service").addEventListener("change", () => {
    byId("groupe-autre-service").hidden = byId("service").value !== "";
  });

  async function loadAdmin(quiet) {
    if (!authority) return;
    const path = "/staff/queues/" + encodeURIComponent(authority);
    const [health, letters] = await Promise.all([Permis.callApi(path, { token: true }),
      Permis.callApi(path + "/dead-letters", { token: true })]);
    if (refused(health) || refused(letters)) return;
    const serviceForm = byId("formulaire-service");
    if (!health.ok) {
      if (!quiet) Permis.showErrors(serviceForm, health.data, { codeFields: { queue_not_found: "service" } });
      return;
    }
    Permis.clearErrors(serviceForm);
    byId("titre-admin").textContent = "Les files de votre ressort : " + health.data.authority;
    drawHealth(health.data, byId("chiffres-admin"), byId("bloc-jours-admin"));
    updatedNow(byId("mise-a-jour-admin"));
    const list = letters.ok ? letters.data.dead_letters : [];
    byId("dlq-liste").replaceChildren(list.length
      ? table("Messages en échec de la file " + health.data.authority, ["Message", "Demande", "Statut actuel", "Réceptions",
        "Envoyé le"], list.map((letter) => [letter.message_id, letter.request_id || "(illisible)",
        letter.request_status || "—", number(letter.receive_count),
        letter.sent_at ? Permis.formatDate(letter.sent_at, true) : "—"]))
      : el("p", { className: "fr-alert fr-alert--sm fr-alert--success", text: "Aucun message en échec dans cette file." }));
    byId("rejouer").hidden = !list.length;
    byId("rejouer").dataset.nombre = String(list.length);
    if (!letters.ok) Permis.showMessage(byId("etat-dlq"), letters.data.message, "echec");
  }

  byId("formulaire-service").addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosenService = byId("service").value || byId("autre-service").value.trim().toUpperCase();
    if (!chosenService) {
      Permis.showErrors(byId("formulaire-service"), Permis.formErrors([{ errorId: "erreur-service",
        message: "Indiquez la file : DDT-<département> (par exemple DDT-69) ou CERT." }]));
      return;
    }
    authority = chosenService;
    const button = byId("afficher-service");
    Permis.busy(button, true, "Chargement…");
    await loadAdmin(false);
    Permis.busy(button, false);
  });

  byId("rejouer").addEventListener("click", () => {
    const count = Number(byId("rejouer").dataset.nombre || 0);
    byId("texte-confirmation-rejouer").textContent = count + " message(s) en échec de la file " + authority
      + " seront remis dans la file et de nouveau proposés aux agents. Faites-le une fois la cause de l'échec corrigée.";
    byId("confirmation-rejouer").hidden = false;
    byId("titre-confirmation-rejouer").focus();
  });
  byId("annuler-rejouer").addEventListener("click", () => {
    byId("confirmation-rejouer").hidden = true;
    byId("rejouer").focus();
  });
  byId("confirmer-rejouer").addEventListener("click", async () => {
    const button = byId("confirmer-rejouer");
    if (button.disabled) return;
    Permis.busy(button, true, "Remise dans la file…");
    const result = await Permis.callApi("/staff/queues/" + encodeURIComponent(authority) + "/dead-letters/redrive",
      { method: "POST", body: {}, token: true });
    Permis.busy(button, false);
    if (refused(result)) return;
    byId("confirmation-rejouer").hidden = true;
    Permis.showMessage(byId("etat-dlq"), result.data.message, result.ok ? "succes" : "echec");
    loadAdmin(true);
  });

  const readsForm = byId("formulaire-consultations");
  readsForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    Permis.clearErrors(readsForm);
    const problems = Permis.checkRequired(readsForm);
    if (problems.length) {
      Permis.showErrors(readsForm, Permis.formErrors(problems));
      return;
    }
    const id = byId("numero-consultations").value.replace(/\s+/g, "");
    const button = byId("voir-consultations");
    Permis.busy(button, true, "Recherche…");
    const result = await Permis.callApi("/staff/requests/" + encodeURIComponent(id) + "/reads", { token: true });
    Permis.busy(button, false);
    if (refused(result)) return;
    if (!result.ok) {
      byId("liste-consultations").replaceChildren();
      Permis.showErrors(readsForm, result.data, { codeFields: { request_not_found: "request_id" } });
      return;
    }
    const reads = result.data.reads;
    byId("liste-consultations").replaceChildren(reads.length
      ? table("Consultations de la demande " + id, ["Date", "Agent", "Rôle", "Consultation"], reads.map((read) => [
        Permis.formatDate(read.at, true), read.agent_name, Permis.ROLE_LABELS[read.role] || read.role,
        read.what === "demande" ? "La demande" : read.what.replace(/^piece:/, "Pièce : ")]))
      : el("p", { text: "Personne n'a encore consulté la demande " + id + "." }));
  });

  // --- Refreshing ------------------------------------------------------------------------------

  function tick() {
    if (document.visibilityState !== "visible") return;
    if (view === "file") loadQueue(true);
    else if (view === "admin") loadAdmin(true);
    else if (view === "demande" && current && current.claim && current.claim.mine
      && new Date(current.claim.lease_until).getTime() < Date.now()) {
      Permis.showMessage(byId("etat-demande"), "Votre prise en charge a expiré : la demande peut être proposée à un autre "
        + "agent. Prolongez-la tout de suite, ou retournez à la file.", "attention");
    }
  }
  setInterval(tick, REFRESH_MS);
  document.addEventListener("visibilitychange", tick);

  // --- Start ---------------------------------------------------------------------------------

  (async function start() {
    me = await signedIn([...INSTRUCTORS, ...ADMINISTRATORS], "Cette page est réservée aux agents instructeurs",
      (role) => "La console d'instruction sert aux agents des DDT, du CERT et des préfectures. Votre compte (" + role
        + ") n'y a pas accès : vos démarches sont dans votre espace.");
    if (!me) return;
    const administrator = ADMINISTRATORS.includes(me.role);
    if (administrator) {
      byId("titre-page").textContent = "Files d'instruction";
      drawAuthorities();
      show("admin");
      await loadAdmin(false);
      return;
    }
    byId("bloc-raccourcis").hidden = false;
    show("file");
    drawHeld();
    await loadQueue(false);
    loadList(false);
    // A message's email links here (#demande=N): that request, read-only unless the agent holds it.
    const linked = Permis.fragment().get("demande") || "";
    if (/^\d{12}$/.test(linked)) openListed(linked);
  })();
})();
