"use strict";
// Statistics for prefecture administrators (GET /statistics, GET /statistics/export).
// The filters (département, "du", "au") live in the page's fragment (#departement=69&date=...&du=...):
// a link can be shared and the back button goes back to the previous figures. The charts are the
// DSFR's (@gouvfr/dsfr-chart, loaded by the page), each with a text alternative and its figures in
// a table below it.

(function statistics() {
  const byId = (id) => document.getElementById(id);
  const el = Permis.el;
  const ADMINISTRATORS = ["prefecture"];
  const DATE = /^\d{4}-\d{2}-\d{2}$/;

  const NATIONAL = "national";

  let me = null;
  let loading = 0; // bumped on each load: an older answer arriving late is dropped

  const notice = Permis.takeNotice();
  if (notice) Permis.showMessage(byId("avis"), notice, "info");

  // --- Formatting ---------------------------------------------------------------------------

  function number(value) {
    return value === null || value === undefined ? "—" : Number(value).toLocaleString("fr-FR");
  }

  /** 70.9 -> "70,9 %". The API rounds (domain/statistics.percent, the rule the export uses too):
   *  the page only writes the figure the French way. */
  function percent(value) {
    if (value === null || value === undefined) return null;
    return Number(value).toLocaleString("fr-FR", { minimumFractionDigits: 1, maximumFractionDigits: 1 }) + " %";
  }

  function hours(value) {
    return Number(value).toLocaleString("fr-FR", { maximumFractionDigits: 1 }) + " h";
  }

  /** 30.5 -> "1 j 7 h (30,5 h)"; a delay in days and hours, with the exact hours. */
  function delay(value) {
    if (value === null || value === undefined) return "—";
    if (value < 1) return "moins d'une heure (" + hours(value) + ")";
    const total = Math.round(value);
    const days = Math.floor(total / 24);
    const rest = total % 24;
    const parts = [];
    if (days) parts.push(days + " j");
    if (rest || !days) parts.push(rest + " h");
    return parts.join(" ") + " (" + hours(value) + ")";
  }

  /** "2017-10-11" -> "11/10" (the time series' axis). */
  function shortDate(iso) {
    return iso.slice(8, 10) + "/" + iso.slice(5, 7);
  }

  const today = () => Permis.parisDay(0); // AAAA-MM-JJ, Paris time

  // --- Blocks of the page -----------------------------------------------------------------------

  const { refused, signedIn } = Permis.staffAccess(["bloc-statistiques"],
    "Accès réservé aux administrateurs de préfecture");

  function showFailure(message) {
    byId("resultats").hidden = true;
    byId("texte-erreur").textContent = message;
    byId("bloc-erreur").hidden = false;
    byId("titre-erreur").focus();
  }

  /** A DSFR table: caption, column headers, rows of cells (the first one a row header). */
  function table(caption, headers, rows) {
    return el("div", { className: "fr-table fr-table--sm fr-mb-0" },
      el("div", { className: "fr-table__wrapper" },
        el("div", { className: "fr-table__container", tabindex: "0", role: "region", "aria-label": caption },
          el("div", { className: "fr-table__content" },
            el("table", {},
              el("caption", { text: caption }),
              el("thead", {}, el("tr", {}, headers.map((header) => el("th", { scope: "col", text: header })))),
              el("tbody", {}, rows.map((row) => el("tr", {},
                row.map((cell, index) => (index === 0 ? el("th", { scope: "row" }, cell) : el("td", {}, cell)))))))))));
  }

  let accordionCount = 0;

  /** A collapsed DSFR accordion "Voir les données" holding `content`. */
  function dataAccordion(title, content) {
    const id = "donnees-" + (++accordionCount);
    return el("section", { className: "fr-accordion fr-mt-2w" },
      el("h4", { className: "fr-accordion__title" },
        el("button", { type: "button", className: "fr-accordion__btn", "aria-expanded": "false", "aria-controls": id },
          "Voir les données", el("span", { className: "fr-sr-only", text: " : " + title }))),
      el("div", { className: "fr-collapse", id }, content));
  }

  // --- Key figures --------------------------------------------------------------------------------

  function tile(label, value, detail, name) {
    return el("div", { className: "fr-col-12 fr-col-sm-6 fr-col-lg-3" },
      el("div", { className: "fr-tile fr-tile--sm stats-chiffre", "data-chiffre": name },
        el("div", { className: "fr-tile__body" },
          el("div", { className: "fr-tile__content" },
            el("h4", { className: "fr-tile__title", text: label }),
            el("p", { className: "stats-nombre", text: value }),
            detail ? el("p", { className: "fr-tile__detail", text: detail }) : null))));
  }

  function drawFigures(stats) {
    const schools = stats.schools;
    const requests = stats.requests;
    const support = stats.support;
    const rate = percent(schools.opening_percent);
    const national = percent(schools.national_opening_percent);
    const opening = (rate ? rate + " des " + number(schools.agrements) + " agréments" : "aucun agrément enregistré")
      + (national && stats.scope.departement ? " (France entière : " + national + ")" : "");
    byId("chiffres").replaceChildren(
      tile("Comptes auto-écoles ouverts", number(schools.accounts_opened), opening, "comptes"),
      tile("Agréments", number(schools.agrements), rate ? "Taux d'ouverture : " + rate : null, "agrements"),
      tile("Établissements ayant déposé", number(schools.filing), "Au moins une demande déposée en ligne", "etablissements"),
      tile("Demandes déposées", number(requests.submitted), "Jusqu'au " + Permis.formatDate(stats.date), "deposees"),
      tile("Demandes traitées", number(requests.processed), "Validées ou rejetées", "traitees"),
      tile("Demandes de support", number(support.opened),
        number(support.answered) + " répondues", "support"),
      tile("Support répondu dans la semaine", number(support.answered_within_promise),
        "Sur " + number(support.answered) + " réponses (promises en une semaine au plus)", "support-semaine"),
      tile("Promesses non tenues", number(support.breaches), "Réponses arrivées après la semaine promise, ou attendues encore",
        "promesses"));
  }

  // --- Charts -------------------------------------------------------------------------------------

  let chartCount = 0;

  /** A chart of the DSFR (dsfr-chart's web component: its legend, its tooltips, its size following
   *  the screen's) in a titled figure, with its text alternative (the component's canvas is not
   *  readable by a screen reader: the DSFR's advice) and the figures' table in a collapsed accordion. */
  function chart(key, title, description, picture, dataTable, wide) {
    const id = "graphique-" + (++chartCount);
    return el("div", { className: wide ? "fr-col-12" : "fr-col-12 fr-col-lg-6" },
      el("figure", { className: "stats-graphique carte", "data-graphique": key, "aria-labelledby": id + "-legende" },
        el("figcaption", { id: id + "-legende", className: "fr-h6", text: title }),
        el("p", { id: id + "-desc", className: "fr-sr-only", text: description }),
        el("div", { className: "stats-image", role: "img", "aria-labelledby": id + "-legende " + id + "-desc" }, picture),
        dataAccordion(title, dataTable)));
  }

  /** Bars, one per item {label, value}; lying on a phone, where the labels read under each other. */
  function barChart(key, title, items, unit, headers) {
    const narrow = window.matchMedia("(max-width: 48em)").matches;
    const picture = el("bar-chart", { x: JSON.stringify([items.map((item) => item.label)]),
      y: JSON.stringify([items.map((item) => item.value)]), name: JSON.stringify([headers[1]]), "unit-tooltip": unit,
      horizontal: narrow ? "true" : null, "aspect-ratio": narrow ? 1.2 : null });
    const description = items.map((item) => item.label + " : " + number(item.value) + " " + unit).join(" ; ") + ".";
    const dataTable = table(title, headers, items.map((item) => [item.label, number(item.value)]));
    return chart(key, title, description, picture, dataTable);
  }

  /** Two lines over the days of the period: requests submitted and processed each day. */
  function seriesChart(key, title, series) {
    const days = series.map((day) => shortDate(day.date));
    const picture = el("line-chart", { x: JSON.stringify([days, days]),
      y: JSON.stringify([series.map((day) => day.submitted), series.map((day) => day.processed)]),
      name: JSON.stringify(["Demandes déposées", "Demandes traitées"]), "unit-tooltip": "demandes",
      // Across the page on a wide screen: flatter than the component's 2:1.
      "aspect-ratio": window.matchMedia("(min-width: 62em)").matches ? 3 : 2 });
    const total = (field) => series.reduce((sum, day) => sum + day[field], 0);
    const busiest = series.reduce((best, day) => (!best || day.submitted > best.submitted ? day : best), null);
    const description = series.length
      ? "Du " + Permis.formatDate(series[0].date) + " au " + Permis.formatDate(series[series.length - 1].date) + " : "
        + number(total("submitted")) + " demandes déposées et " + number(total("processed")) + " traitées"
        + (busiest && busiest.submitted ? " ; le plus de dépôts le " + Permis.formatDate(busiest.date) + " ("
          + number(busiest.submitted) + ")" : "") + "."
      : "Aucun jour dans la période.";
    const dataTable = table(title, ["Jour", "Demandes déposées", "Demandes traitées", "Comptes ouverts"],
      series.map((day) => [Permis.formatDate(day.date), number(day.submitted), number(day.processed),
        number(day.accounts_opened)]));
    return chart(key, title, description, picture, dataTable, true);
  }

  function drawCharts(stats) {
    chartCount = 0;
    byId("graphiques").replaceChildren(
      barChart("auto-ecoles", "Auto-écoles selon le nombre de demandes déposées",
        stats.schools.by_requests_filed.map((band) => ({ label: band.label, value: band.schools })),
        "auto-écoles", ["Demandes déposées", "Auto-écoles"]),
      barChart("en-attente", "Demandes en attente par statut au " + Permis.formatDate(stats.date),
        stats.requests.waiting_by_status.map((status) => ({ label: status.label, value: status.count })),
        "demandes", ["Statut", "Demandes"]),
      seriesChart("par-jour", "Demandes déposées et traitées par jour", stats.series));
  }

  function drawDelays(stats) {
    const rows = stats.requests.decision_delays.map((line) => [line.label, number(line.decisions),
      delay(line.median_hours), delay(line.p90_hours)]);
    byId("delais").replaceChildren(rows.length
      ? table("Délais de décision du " + Permis.formatDate(stats.period.from) + " au " + Permis.formatDate(stats.period.to),
        ["Démarche", "Décisions", "Délai médian", "90e centile"], rows)
      : el("p", { text: "Aucune décision pendant la période." }));
  }

  function draw(stats) {
    byId("titre-resultats").textContent = stats.scope.label + " au " + Permis.formatDate(stats.date);
    byId("periode").textContent = "Période des courbes et des délais : du " + Permis.formatDate(stats.period.from)
      + " au " + Permis.formatDate(stats.period.to) + ". Les autres chiffres comptent tout jusqu'au "
      + Permis.formatDate(stats.date) + " inclus.";
    drawFigures(stats);
    drawCharts(stats);
    drawDelays(stats);
    byId("resultats").hidden = false;
  }

  // --- The filters and the fragment -----------------------------------------------------------

  /** The filters asked by the fragment, completed by the defaults (the administrator's
   *  département, today). */
  function wanted() {
    const hash = Permis.fragment();
    const departement = hash.get("departement");
    const date = hash.get("date");
    const du = hash.get("du");
    return {
      departement: known(departement) ? departement
        : (me.departement && known(me.departement.toUpperCase()) ? me.departement.toUpperCase() : NATIONAL),
      date: date && DATE.test(date) ? date : today(),
      du: du && DATE.test(du) ? du : "",
    };
  }

  function query(filters) {
    const params = new URLSearchParams();
    params.set("departement", filters.departement);
    params.set("date", filters.date);
    if (filters.du) params.set("du", filters.du);
    return params.toString();
  }

  function fillForm(filters) {
    byId("departement").value = filters.departement;
    byId("date").value = filters.date;
    byId("du").value = filters.du;
  }

  function readForm() {
    return { departement: byId("departement").value, date: byId("date").value, du: byId("du").value };
  }

  /** "national" or a département of the page's list (the domain's, rendered with the page). */
  function known(code) {
    return [...byId("departement").options].some((option) => option.value === code);
  }

  function setDateLimits() {
    const max = today();
    byId("date").max = max;
    byId("du").max = max;
  }

  async function load() {
    const mine = ++loading;
    const filters = wanted();
    fillForm(filters);
    const form = byId("filtres");
    Permis.clearErrors(form);
    byId("bloc-erreur").hidden = true;
    byId("resultats").setAttribute("aria-busy", "true");
    Permis.busy(byId("afficher"), true, "Chargement…");
    Permis.showMessage(byId("etat"), "Chargement des statistiques…", "info");
    const result = await Permis.callApi("/statistics?" + query(filters), { token: true });
    if (mine !== loading) return;
    Permis.busy(byId("afficher"), false);
    byId("resultats").removeAttribute("aria-busy");
    Permis.showMessage(byId("etat"), "");
    if (refused(result)) return;
    if (!result.ok) {
      if (result.status === 422) {
        byId("resultats").hidden = true;
        Permis.showErrors(form, result.data);
      } else {
        showFailure(result.data.message);
      }
      return;
    }
    draw(result.data);
    Permis.showMessage(byId("etat"), "Statistiques affichées : " + result.data.scope.label + " au "
      + Permis.formatDate(result.data.date) + ".", "succes");
  }

  byId("filtres").addEventListener("submit", (event) => {
    event.preventDefault();
    const hash = "#" + query(readForm());
    if (window.location.hash === hash) load();
    else window.location.hash = hash; // a history entry: "back" shows the previous figures
  });
  window.addEventListener("hashchange", () => { if (me) load(); });

  // --- CSV download -------------------------------------------------------------------------------

  /** The file name of a Content-Disposition header (filename*=UTF-8''... or filename="..."). */
  function fileName(header) {
    if (!header) return null;
    const encoded = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
    if (encoded) {
      try {
        return decodeURIComponent(encoded[1].trim());
      } catch (error) {
        // fall back on the plain name
      }
    }
    const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(header);
    return plain ? plain[1].trim() : null;
  }

  async function fetchExport(path) {
    const base = await Permis.apiUrl();
    return fetch(base + path, { headers: { Authorization: "Bearer " + Permis.accessToken(), Accept: "text/csv" },
      cache: "no-store" });
  }

  async function download() {
    const button = byId("telecharger");
    const filters = readForm();
    const path = "/statistics/export?" + query(filters);
    Permis.busy(button, true, "Préparation du fichier…");
    Permis.showMessage(byId("etat"), "Préparation du fichier CSV…", "info");
    try {
      let response = await fetchExport(path);
      if (response.status === 401) {
        // An access token past its hour: callApi refreshes the session (or ends it), then again.
        const again = await Permis.callApi("/me", { token: true });
        if (again.sessionOver) return;
        response = await fetchExport(path);
      }
      if (!response.ok) {
        let data = null;
        try {
          data = await response.json();
        } catch (error) {
          data = null;
        }
        const result = { ok: false, status: response.status, data: data && typeof data.message === "string" ? data
          : { code: "unexpected_error", message: "Le fichier n'a pas pu être préparé : réessayez dans quelques instants." } };
        Permis.showMessage(byId("etat"), "");
        if (refused(result)) return;
        if (response.status === 422) Permis.showErrors(byId("filtres"), result.data);
        else showFailure(result.data.message);
        return;
      }
      const blob = await response.blob();
      const name = fileName(response.headers.get("Content-Disposition"))
        || "statistiques-" + (filters.departement === NATIONAL ? "france" : filters.departement) + "-" + filters.date + ".csv";
      const link = el("a", { href: URL.createObjectURL(blob), download: name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60 * 1000);
      Permis.showMessage(byId("etat"), "Fichier " + name + " téléchargé.", "succes");
    } catch (error) {
      Permis.showMessage(byId("etat"), "Le service ne répond pas : vérifiez votre connexion à Internet puis réessayez.", "echec");
    } finally {
      Permis.busy(button, false);
    }
  }

  byId("telecharger").addEventListener("click", download);

  // --- Start ---------------------------------------------------------------------------------

  (async function start() {
    me = await signedIn(ADMINISTRATORS, "Cette page est réservée aux administrateurs de préfecture", (role) =>
      "Les statistiques servent aux préfectures. Votre compte (" + role + ") n'y a pas accès : vos démarches sont "
      + "dans votre espace.");
    if (!me) return;
    setDateLimits();
    byId("chargement").hidden = true;
    byId("bloc-statistiques").hidden = false;
    // The figures shown are in the address from the start, so the link can be shared as is.
    if (!window.location.hash) history.replaceState(null, "", "#" + query(wanted()));
    await load();
  })();
})();
