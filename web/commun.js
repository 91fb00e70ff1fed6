"use strict";
// Code shared by every page.
// Everything lives in the one global object `Permis`. Rule of the whole site: text that comes from
// the server or from the person is only ever put in the page with textContent / createElement,
// never with innerHTML.

const Permis = (() => {
  // --- Configuration -------------------------------------------------------------------------

  let siteConfigPromise = null;

  /** config.json (served next to the pages), once it has been read: {apiUrl, local}. A failed
   *  read is tried again on the next call. */
  function siteConfig() {
    if (!siteConfigPromise) {
      siteConfigPromise = fetch("config.json", { cache: "no-store" })
        .then((response) => {
          if (!response.ok) throw new Error("config.json : " + response.status);
          return response.json();
        })
        .catch((error) => {
          siteConfigPromise = null;
          throw error;
        });
    }
    return siteConfigPromise;
  }

  /** The API's address ("/api" when deployed: the same origin; a full URL on make run). */
  function apiUrl() {
    return siteConfig().then((config) => String(config.apiUrl || "").replace(/\/+$/, ""));
  }

  // --- Session ---------------------------------------------------------------------------------
  // The access token lives only in this page's memory: a script injected elsewhere cannot read it
  // from storage, and it is gone when the page closes. The refresh token is kept in sessionStorage
  // (this tab only, gone when the tab closes) so that the next page of the site can ask for a new
  // access token (POST /sessions/refresh) without signing in again. That is as far as a static
  // site can go without a cookie set by the API. The id token is never kept.

  const KEYS = { refresh: "permis.refresh_token", role: "permis.role" };
  const NOTICE_KEY = "permis.avis"; // a message to show on the next page (e.g. "session over")
  let memoryAccessToken = null;

  function saveTokens(tokens) {
    memoryAccessToken = tokens.access_token;
    // A refresh answer may leave refresh_token null: the previous one stays valid then.
    if (tokens.refresh_token) sessionStorage.setItem(KEYS.refresh, tokens.refresh_token);
  }

  function accessToken() {
    return memoryAccessToken;
  }

  /** True when this tab holds a session (an access token, or a refresh token to get one). */
  function hasSession() {
    return Boolean(memoryAccessToken || sessionStorage.getItem(KEYS.refresh));
  }

  /** The signed-in person's role as last seen (only to draw the menu; the API checks it). */
  function knownRole() {
    return sessionStorage.getItem(KEYS.role);
  }

  function rememberRole(role) {
    if (role) sessionStorage.setItem(KEYS.role, role);
    else sessionStorage.removeItem(KEYS.role);
  }

  function clearSession() {
    memoryAccessToken = null;
    Object.values(KEYS).forEach((key) => sessionStorage.removeItem(key));
    ["permis.access_token", "permis.id_token"].forEach((key) => sessionStorage.removeItem(key)); // older pages
  }

  function setNotice(text) {
    sessionStorage.setItem(NOTICE_KEY, text);
  }

  /** The notice left by the previous page, once (then forgotten). */
  function takeNotice() {
    const text = sessionStorage.getItem(NOTICE_KEY);
    sessionStorage.removeItem(NOTICE_KEY);
    return text;
  }

  // --- Coming back after signing in --------------------------------------------------------------
  // A page that needs a session (valider.html, from an emailed link) asks to come back to it once
  // the person has signed in. Only a page of this site, by its bare name and fragment, is accepted
  // (never an address elsewhere), and the wish lasts 30 minutes.

  const RETURN_KEY = "permis.retour";
  const RETURN_LIFETIME_MS = 30 * 60 * 1000;
  const RETURN_PAGE = /^[a-z0-9-]+\.html(#[A-Za-z0-9=&_-]{0,200})?$/;

  function setReturnTo(page) {
    if (!RETURN_PAGE.test(page)) return;
    sessionStorage.setItem(RETURN_KEY, JSON.stringify({ page, at: Date.now() }));
  }

  function forgetReturnTo() {
    sessionStorage.removeItem(RETURN_KEY);
  }

  /** The page to go back to after signing in, once (then forgotten), or null. */
  function takeReturnTo() {
    const stored = sessionStorage.getItem(RETURN_KEY);
    forgetReturnTo();
    try {
      const wish = JSON.parse(stored);
      if (wish && RETURN_PAGE.test(wish.page) && Date.now() - wish.at < RETURN_LIFETIME_MS) return wish.page;
    } catch (error) {
      // nothing usable stored
    }
    return null;
  }

  /** Forget the session and go to the sign-in page, which shows `notice`. */
  function endSession(notice) {
    clearSession();
    if (notice) setNotice(notice);
    window.location.assign("connexion.html");
  }

  let refreshing = null; // one refresh at a time, shared by calls that fail together

  /** A new access token from the refresh token: "renewed", "refused" (the service said no: the
   *  session is over), or "unreachable" (no usable answer: a network failure, or the page left while the
   *  answer was read), which ends nothing. */
  function refreshTokens() {
    const refreshToken = sessionStorage.getItem(KEYS.refresh);
    if (!refreshToken) return Promise.resolve("refused");
    if (!refreshing) {
      refreshing = send("/sessions/refresh", "POST", { refresh_token: refreshToken }, null)
        .then((result) => {
          if (result.ok && result.data && result.data.access_token) {
            saveTokens(result.data);
            return "renewed";
          }
          return [400, 401, 403].includes(result.status) ? "refused" : "unreachable";
        })
        .finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  // --- Calling the API -------------------------------------------------------------------------

  const NETWORK_ERROR = {
    code: "network_error",
    message: "Le service ne répond pas : vérifiez votre connexion à Internet puis réessayez.",
    details: [],
  };
  const UNEXPECTED_ERROR = {
    code: "unexpected_error",
    message: "Le service a rencontré un problème inattendu : réessayez dans quelques instants.",
    details: [],
  };

  // The page's API calls under way (answer read or not): the browser tests read a page once none is.
  let callsUnderWay = 0;

  function apiIdle() {
    return callsUnderWay === 0;
  }

  async function send(path, method, body, bearer, extraHeaders, keepalive) {
    callsUnderWay += 1;
    try {
      return await sendNow(path, method, body, bearer, extraHeaders, keepalive);
    } finally {
      callsUnderWay -= 1;
    }
  }

  async function sendNow(path, method, body, bearer, extraHeaders, keepalive) {
    let base;
    try {
      base = await apiUrl();
    } catch (error) {
      return { ok: false, status: 0, data: NETWORK_ERROR };
    }
    const headers = { ...(extraHeaders || {}), Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (bearer) headers.Authorization = "Bearer " + bearer;
    let response;
    try {
      response = await fetch(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        keepalive: Boolean(keepalive),
      });
    } catch (error) {
      return { ok: false, status: 0, data: NETWORK_ERROR };
    }
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null; // no body, or not JSON (a proxy's error page, for instance)
    }
    if (!response.ok && !(data && typeof data.message === "string")) data = UNEXPECTED_ERROR;
    return { ok: response.ok, status: response.status, data };
  }

  /**
   * Calls the API. Resolves to {ok, status, data}; never rejects (a network failure gives status 0
   * and a French message in data.message, like the API's own errors).
   *   method: "GET" by default; body: sent as JSON when given;
   *   token: true  -> a signed-in call with the session's access token: on a 401 the session is
   *                   refreshed once (POST /sessions/refresh) and the call retried; if it is still
   *                   refused the session is over: it is cleared, the page goes to connexion.html and
   *                   the result carries sessionOver: true (the caller just stops);
   *          "..." -> that bearer token as is, no refresh;
   *   headers: more request headers (e.g. {"Idempotency-Key": "..."});
   *   keepalive: true -> the call goes on when the page is left (a draft's last typing).
   */
  async function callApi(path, { method = "GET", body, token, headers, keepalive } = {}) {
    if (token !== true) return send(path, method, body, token || null, headers, keepalive);
    const over = { ok: false, status: 401, data: null, sessionOver: true };
    if (!accessToken()) {
      const renewal = await refreshTokens();
      if (renewal === "unreachable") return { ok: false, status: 0, data: NETWORK_ERROR };
      if (renewal !== "renewed") {
        endSession(hasSession() ? "Votre session a pris fin : connectez-vous de nouveau."
          : "Connectez-vous pour accéder à votre espace.");
        return over;
      }
    }
    let result = await send(path, method, body, accessToken(), headers, keepalive);
    if (result.status === 401) {
      const renewal = await refreshTokens();
      if (renewal === "unreachable") return { ok: false, status: 0, data: NETWORK_ERROR };
      if (renewal === "renewed") result = await send(path, method, body, accessToken(), headers, keepalive);
    }
    if (result.status === 401) {
      endSession("Votre session a pris fin : connectez-vous de nouveau.");
      return { ...over, data: result.data };
    }
    return result;
  }

  // --- Building the page safely ----------------------------------------------------------------

  /** createElement with attributes and children (strings become text nodes, never HTML). */
  function el(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") element.textContent = value;
      else if (name === "className") element.className = value;
      else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
      else element.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  /** Replaces an element's text; kind: "succes", "echec", "info" or "attention" (a DSFR small
   *  alert), or nothing. Live regions stay in the page (never hidden), so that screen readers
   *  announce the change. */
  const MESSAGE_CLASSES = { succes: "fr-alert--success", echec: "fr-alert--error", info: "fr-alert--info",
    attention: "fr-alert--warning" };

  function showMessage(element, text, kind) {
    element.textContent = text || "";
    element.classList.remove("fr-alert", "fr-alert--sm", ...Object.values(MESSAGE_CLASSES),
      "message-succes", "message-echec", "message-info");
    if (text && kind) element.classList.add("fr-alert", "fr-alert--sm", MESSAGE_CLASSES[kind] || "fr-alert--info");
  }

  /** "2026-12-05T01:26:00Z" -> "5 décembre 2026" (with withTime: "… à 02:26", Paris time, as in the
   *  emails); a date alone ("2007-07-14") is shown as is, whatever the browser's time zone. */
  function formatDate(iso, withTime) {
    if (!iso) return "";
    const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(iso);
    const date = new Date(dateOnly ? iso + "T00:00:00Z" : iso);
    if (Number.isNaN(date.getTime())) return iso;
    const options = { dateStyle: "long", timeZone: dateOnly ? "UTC" : "Europe/Paris" };
    if (withTime && !dateOnly) options.timeStyle = "short";
    return date.toLocaleString("fr-FR", options);
  }

  /** The day in Paris, AAAA-MM-JJ, `offsetDays` from today (0: today): what the service calls today,
   *  whatever the device's time zone. */
  function parisDay(offsetDays) {
    // Days counted on the calendar, not as 24 hours: a 23- or 25-hour day (summer time) never skips one.
    const day = new Date(new Date().toLocaleDateString("en-CA", { timeZone: "Europe/Paris" }) + "T00:00:00Z");
    day.setUTCDate(day.getUTCDate() + (offsetDays || 0));
    return day.toISOString().slice(0, 10);
  }

  /** Parameters of the address fragment (#jeton=...&demande=...). */
  function fragment() {
    return new URLSearchParams(window.location.hash.replace(/^#/, ""));
  }

  /** Removes the fragment (and its token) from the address bar and the history entry. A link
   *  with a new token opened on the same page changes only the fragment: the page starts over. */
  function forgetFragment() {
    history.replaceState(null, "", window.location.pathname + window.location.search);
    window.addEventListener("hashchange", () => window.location.reload());
  }

  function busy(button, isBusy, text) {
    if (isBusy) {
      // Busy already (checkedProof, then the page's own call): keep the button's own text to restore.
      if (button.getAttribute("aria-busy") !== "true") button.dataset.texte = button.textContent;
      button.textContent = text || "Envoi en cours…";
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
    } else {
      if (button.dataset.texte) button.textContent = button.dataset.texte;
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  // --- Form errors -----------------------------------------------------------------------------
  // Markup convention: the field for "address.postal_code" has its error element
  // id="erreur-address-postal_code" (an optional prefix after "erreur-" when a page has two
  // forms with the same fields), and every control of that field lists that id in its
  // aria-describedby. Each form starts with <div class="resume-erreurs" role="alert"
  // tabindex="-1" hidden>, the summary.

  function errorIdFor(field, prefix) {
    return "erreur-" + (prefix || "") + String(field).replace(/\./g, "-");
  }

  /** The visible, enabled controls described by an error element. */
  function controlsFor(errorElement) {
    return Array.from(document.querySelectorAll('[aria-describedby~="' + errorElement.id + '"]'))
      .filter((control) => !control.disabled && !control.closest("[hidden]"));
  }

  // The DSFR group around a field, and its "--error" modifier (red bar, red label).
  const GROUPS = ["fr-input-group", "fr-select-group", "fr-fieldset", "fr-upload-group", "fr-checkbox-group",
    "fr-radio-group", "fr-toggle"];

  function markGroup(errorElement, invalid) {
    const group = errorElement.closest(GROUPS.map((name) => "." + name).join(","));
    if (!group) return;
    const name = GROUPS.find((candidate) => group.classList.contains(candidate));
    group.classList.toggle(name + "--error", invalid);
  }

  function clearErrors(form) {
    form.querySelectorAll(".erreur-champ").forEach((element) => { element.textContent = ""; markGroup(element, false); });
    form.querySelectorAll('[aria-invalid="true"]').forEach((control) => control.removeAttribute("aria-invalid"));
    const summary = form.querySelector(".resume-erreurs");
    if (summary) {
      summary.replaceChildren();
      summary.hidden = true;
    }
  }

  /** Shows one message next to a field (without touching the summary); returns its first control. */
  function showFieldError(errorElement, message) {
    errorElement.textContent = errorElement.textContent ? errorElement.textContent + " " + message : message;
    const controls = controlsFor(errorElement);
    controls.forEach((control) => control.setAttribute("aria-invalid", "true"));
    markGroup(errorElement, true);
    return controls[0] || null;
  }

  /**
   * Shows an API error (or the form's own checks, same shape): body.message in the summary at the
   * top of the form, each detail next to its field and again in the summary as a link to the
   * field; then moves the focus to the summary.
   *   options.prefix: see errorIdFor; options.codeFields: {code: field} for errors without details
   *   that concern one field (e.g. {password_rejected: "password"}).
   * A detail may give errorId instead of field (the form's own checks do).
   */
  function showErrors(form, body, options = {}) {
    clearErrors(form);
    const error = body || UNEXPECTED_ERROR;
    let details = Array.isArray(error.details) ? error.details.slice() : [];
    const codeField = options.codeFields && options.codeFields[error.code];
    if (!details.length && codeField) details = [{ field: codeField, message: error.message }];

    const items = [];
    for (const detail of details) {
      let errorElement = detail.errorId ? document.getElementById(detail.errorId) : null;
      if (!errorElement && detail.field) {
        // "address.commune" -> erreur-address-commune, else erreur-address, else the summary only.
        const parts = String(detail.field).split(".");
        while (parts.length && !errorElement) {
          errorElement = document.getElementById(errorIdFor(parts.join("."), options.prefix));
          parts.pop();
        }
      }
      let control = null;
      if (errorElement) control = showFieldError(errorElement, detail.message);
      items.push({ message: detail.message, control });
    }

    const summary = form.querySelector(".resume-erreurs");
    if (!summary) return;
    // A detail repeating the general message: the general message itself links to the field.
    const same = items.find((item) => item.message === error.message && item.control && item.control.id);
    summary.append(el("p", { className: "resume-titre fr-alert__title" }, same
      ? el("a", {
        href: "#" + same.control.id,
        text: error.message,
        onclick: (event) => { event.preventDefault(); same.control.focus(); },
      })
      : error.message));
    const listed = items.filter((item) => item.message && item.message !== error.message);
    if (listed.length) {
      summary.append(el("ul", {}, listed.map((item) => el("li", {},
        item.control && item.control.id
          ? el("a", {
            href: "#" + item.control.id,
            text: item.message,
            onclick: (event) => { event.preventDefault(); item.control.focus(); },
          })
          : item.message))));
    }
    summary.hidden = false;
    summary.focus();
  }

  /**
   * The form's own checks before sending: every [required] control that is visible and enabled
   * must be filled (checked, for a checkbox; one of the group, for radios). The message is the
   * control's data-requis, else a general one. Returns details for showErrors.
   */
  function checkRequired(form) {
    const details = [];
    const seenRadios = new Set();
    for (const control of form.querySelectorAll("[required]")) {
      if (control.disabled || control.closest("[hidden]") || control.closest("altcha-widget")) continue;
      let empty;
      if (control.type === "checkbox") empty = !control.checked;
      else if (control.type === "radio") {
        if (seenRadios.has(control.name)) continue;
        seenRadios.add(control.name);
        empty = !form.querySelector('input[type="radio"][name="' + control.name + '"]:checked');
      } else empty = control.value.trim() === "";
      if (!empty) continue;
      const errorId = (control.getAttribute("aria-describedby") || "").split(/\s+/)
        .find((id) => id.startsWith("erreur-"));
      details.push({ errorId, message: control.dataset.requis || "Ce champ est obligatoire : renseignez-le." });
    }
    // Dates of birth: empty when required, incomplete, or not a real past date.
    for (const fieldset of form.querySelectorAll("fieldset.date-naissance")) {
      if (fieldset.disabled || fieldset.closest("[hidden]")) continue;
      const problem = dateProblem(fieldset);
      if (problem) details.push({ errorId: "erreur-" + fieldset.id, message: problem });
    }
    // The anti-robot widget: its box checked, and the computation it starts ended well.
    for (const widget of form.querySelectorAll("altcha-widget[data-requis]")) {
      if (widget.closest("[hidden]")) continue;
      const box = widget.querySelector('input[type="checkbox"]');
      if (!box || !box.checked) details.push({ errorId: widget.dataset.erreur, message: widget.dataset.requis });
    }
    return details;
  }

  function formErrors(details) {
    const count = details.length;
    return {
      code: "form_incomplete",
      message: count > 1
        ? "Le formulaire contient " + count + " erreurs : corrigez-les puis renvoyez-le."
        : "Le formulaire contient une erreur : corrigez-la puis renvoyez-le.",
      details,
    };
  }

  /** Checks the new password and its confirmation (12 characters at least, identical). */
  function checkNewPassword(password, confirmation) {
    const details = [];
    if (password.value.length < 12) {
      details.push({ errorId: "erreur-password", message: "Le mot de passe doit compter au moins 12 caractères." });
    }
    if (confirmation.value !== password.value) {
      details.push({ errorId: "erreur-confirmation", message: "Les deux mots de passe ne sont pas identiques : saisissez-les de nouveau." });
    }
    return details;
  }

  // --- Places of birth ------------------------------------------------------------------------------

  // The countries of birth offered in a list (the most frequent); any other by its two-letter code.
  const COUNTRIES = [
    ["DZ", "Algérie"], ["DE", "Allemagne"], ["BE", "Belgique"], ["CM", "Cameroun"], ["CI", "Côte d'Ivoire"],
    ["ES", "Espagne"], ["IT", "Italie"], ["ML", "Mali"], ["MA", "Maroc"], ["PT", "Portugal"], ["RO", "Roumanie"],
    ["GB", "Royaume-Uni"], ["SN", "Sénégal"], ["CH", "Suisse"], ["TN", "Tunisie"], ["TR", "Turquie"],
  ];

  /**
   * The place of birth (gabarits/champs.html lieu_de_naissance, ids <prefix>birth_place-…): born in
   * France, the commune and its département; abroad, the country (the list, or "Autre pays" and its
   * code) and the city. Returns read(), the API's birth_place; read.fill(place) puts a saved one back;
   * read.checks() the problems of the country's code, for the form's own checks.
   */
  function bindBirthPlace(prefix = "") {
    const byId = (id) => document.getElementById(prefix + id);
    const field = (name) => byId("birth_place-" + name);
    const country = field("country");
    const commune = field("commune");
    const communeLabel = document.querySelector('label[for="' + commune.id + '"]').firstChild;
    const communeRequired = commune.dataset.requis;
    country.replaceChildren(el("option", { value: "", text: "Choisissez le pays" }),
      ...COUNTRIES.map(([code, label]) => el("option", { value: code, text: label })),
      el("option", { value: "autre", text: "Autre pays : saisir son code" }));
    const abroad = () => byId("naissance-etranger").checked;

    function show() {
      const away = abroad();
      byId("bloc-pays").hidden = !away;
      byId("bloc-pays-autre").hidden = !away || country.value !== "autre";
      byId("bloc-departement").hidden = away;
      communeLabel.textContent = away ? "Ville de naissance" : "Commune de naissance";
      commune.dataset.requis = away ? communeRequired.replace("commune", "ville") : communeRequired;
    }
    byId("naissance-france").addEventListener("change", show);
    byId("naissance-etranger").addEventListener("change", show);
    country.addEventListener("change", () => {
      show();
      if (country.value === "autre") field("country_code").focus();
    });
    show();

    const code = () => field("country_code").value.trim().toUpperCase();
    function read() {
      if (!abroad()) {
        return { country: "FR", commune: commune.value.trim(), departement: field("departement").value.trim().toUpperCase() };
      }
      return { country: country.value === "autre" ? code() : country.value, commune: commune.value.trim() };
    }
    read.fill = function fill(place) {
      if (!place) return;
      const away = Boolean(place.country) && place.country !== "FR";
      byId(away ? "naissance-etranger" : "naissance-france").checked = true;
      if (away) {
        const listed = COUNTRIES.some(([listedCode]) => listedCode === place.country);
        country.value = listed ? place.country : "autre";
        field("country_code").value = listed ? "" : place.country;
      }
      commune.value = place.commune || "";
      field("departement").value = place.departement || "";
      show();
    };
    read.show = show;
    read.checks = function checks() {
      if (!abroad() || country.value !== "autre" || !code()) return [];
      const errorId = "erreur-" + prefix + "birth_place-country";
      if (!/^[A-Z]{2}$/.test(code())) return [{ errorId, message: "Le code du pays compte deux lettres (exemple : CA pour le Canada)." }];
      if (code() === "FR") return [{ errorId, message: "Pour une naissance en France, choisissez « En France »." }];
      return [];
    };
    return read;
  }

  // --- Addresses ---------------------------------------------------------------------------------

  const STREET_TYPES = [
    ["ALL", "Allée"], ["AV", "Avenue"], ["BD", "Boulevard"], ["CHE", "Chemin"], ["CHS", "Chaussée"],
    ["CITE", "Cité"], ["CRS", "Cours"], ["DOM", "Domaine"], ["ESP", "Esplanade"], ["FG", "Faubourg"],
    ["HAM", "Hameau"], ["IMP", "Impasse"], ["LD", "Lieu-dit"], ["LOT", "Lotissement"], ["MTE", "Montée"],
    ["PAS", "Passage"], ["PL", "Place"], ["PLN", "Plaine"], ["PRV", "Parvis"], ["PROM", "Promenade"],
    ["QUAI", "Quai"], ["QUA", "Quartier"], ["RES", "Résidence"], ["RPT", "Rond-point"], ["RTE", "Route"],
    ["RUE", "Rue"], ["RLE", "Ruelle"], ["SEN", "Sentier"], ["SQ", "Square"], ["TRA", "Traverse"],
    ["VLA", "Villa"], ["VOIE", "Voie"], ["ZA", "Zone d'activité"], ["ZI", "Zone industrielle"],
  ];

  /**
   * The address block of the sign-up forms (ids address-number, address-extension,
   * address-street_type, address-street_name, address-complement, address-postal_code,
   * address-commune, and etat-address-commune for the communes' status). Fills the street types,
   * and the communes as soon as the postal code has 5 digits. Returns read(), the "address" object
   * of the request body; read.fill(address) puts a saved address back in the fields.
   *   prefix: put before every id ("contact-" -> contact-address-number, erreur-contact-address-…,
   *           etat-contact-address-commune), for a page with several address blocks.
   */
  function bindAddress(prefix = "") {
    const byId = (id) => document.getElementById(prefix + "address-" + id);
    const streetType = byId("street_type");
    streetType.append(el("option", { value: "", text: "Choisissez le type de voie" }));
    STREET_TYPES.forEach(([code, label]) => streetType.append(el("option", { value: code, text: label })));

    const postalCode = byId("postal_code");
    const commune = byId("commune");
    const status = document.getElementById("etat-" + prefix + "address-commune");
    const postalError = document.getElementById("erreur-" + prefix + "address-postal_code");
    let lastAsked = "";

    function resetCommunes(placeholder) {
      commune.replaceChildren(el("option", { value: "", text: placeholder }));
      commune.disabled = true;
    }
    resetCommunes("Saisissez d'abord le code postal");

    async function lookUp() {
      const code = postalCode.value.replace(/\s+/g, "");
      if (code === lastAsked) return;
      lastAsked = code;
      if (!/^\d{5}$/.test(code)) {
        resetCommunes("Saisissez d'abord le code postal");
        showMessage(status, "");
        return;
      }
      postalError.textContent = "";
      postalCode.removeAttribute("aria-invalid");
      resetCommunes("Recherche des communes…");
      const result = await callApi("/communes/" + encodeURIComponent(code));
      if (code !== lastAsked) return; // the postal code changed meanwhile
      if (!result.ok) {
        resetCommunes("Saisissez d'abord le code postal");
        showMessage(status, "");
        showFieldError(postalError, result.data.message);
        return;
      }
      const communes = result.data.communes || [];
      commune.replaceChildren();
      if (communes.length !== 1) commune.append(el("option", { value: "", text: "Choisissez la commune" }));
      communes.forEach((item) => commune.append(el("option", {
        value: item.insee_code, text: item.name + " (" + item.departement + ")",
      })));
      commune.disabled = false;
      showMessage(status, communes.length === 1
        ? "Commune trouvée pour ce code postal : " + communes[0].name + "."
        : communes.length + " communes correspondent à ce code postal : choisissez la vôtre dans la liste.");
    }

    postalCode.addEventListener("input", lookUp);
    postalCode.addEventListener("change", lookUp);

    function read() {
      const address = {};
      const optional = (name, value) => { if (value) address[name] = value; };
      optional("number", byId("number").value.trim());
      optional("extension", byId("extension").value);
      address.street_type = streetType.value;
      address.street_name = byId("street_name").value.trim();
      optional("complement", byId("complement").value.trim());
      address.postal_code = postalCode.value.replace(/\s+/g, "");
      address.commune = commune.value;
      return address;
    }

    // Saved addresses hold codes: extension B/T/Q, street type RUE..., commune INSEE code.
    const EXTENSION_NAMES = { B: "bis", T: "ter", Q: "quater" };
    read.fill = async function fill(address) {
      if (!address) return;
      byId("number").value = address.number || "";
      const extension = byId("extension");
      const wanted = address.extension || "";
      extension.value = Array.from(extension.options).some((option) => option.value === wanted)
        ? wanted : EXTENSION_NAMES[wanted] || "";
      streetType.value = address.street_type || "";
      byId("street_name").value = address.street_name || "";
      byId("complement").value = address.complement || "";
      postalCode.value = address.postal_code || "";
      await lookUp();
      const insee = address.commune_insee || address.commune;
      if (insee && Array.from(commune.options).some((option) => option.value === insee)) commune.value = insee;
    };
    return read;
  }

  // --- Dates of birth: day, month and year typed apart (the DSFR "date" pattern) -------------------
  // A native date field follows the browser's language, whatever the hint says: typed as "14072006"
  // it gave 12/07/2006, silently. A page writes only its place holder:
  //   <div data-date-naissance="ID" data-legende="Date de naissance" [data-obligatoire]
  //        [data-requis="message when empty"] [data-autocomplete="bday"] [data-classe-requis="…"]></div>
  // and gets here the fieldset (ID), its three fields (ID-jour, ID-mois, ID-annee) and its error
  // element (erreur-ID, where the API's errors about the field land too). The fieldset reads and takes
  // "YYYY-MM-DD" as its `value` (so a page treats it as one field; "" until complete and valid), says
  // what to fix through `Permis.dateProblem(fieldset)` (checkRequired asks it), and takes `required`.

  const DATE_PARTS = [
    { part: "jour", label: "Jour", hint: "Entre 1 et 31", size: "number", length: 2, autocomplete: "bday-day" },
    { part: "mois", label: "Mois", hint: "Entre 1 et 12", size: "number", length: 2, autocomplete: "bday-month" },
    { part: "annee", label: "Année", hint: "Exemple : 2007", size: "year", length: 4, autocomplete: "bday-year" },
  ];
  // Pasted or typed whole in the day field: "14/07/2006", "14.07.2006", "14 7 2006", "14072006".
  const WHOLE_DATE = /^\s*(\d{1,2})[\s/.-]*(\d{1,2})[\s/.-]*(\d{4})\s*$/;

  function todayIso() {
    const now = new Date();
    return [now.getFullYear(), String(now.getMonth() + 1).padStart(2, "0"), String(now.getDate()).padStart(2, "0")].join("-");
  }

  function buildDateOfBirth(holder) {
    const id = holder.dataset.dateNaissance;
    const errorId = "erreur-" + id;
    const legendText = holder.dataset.legende || "Date de naissance";
    const mark = el("span", { className: ("requis " + (holder.dataset.classeRequis || "")).trim(), "aria-hidden": "true",
      text: "*" });
    const inputs = DATE_PARTS.map((item) => el("input", {
      className: "fr-input", id: id + "-" + item.part, type: "text", inputmode: "numeric", maxlength: String(item.length),
      autocomplete: holder.dataset.autocomplete === "bday" ? item.autocomplete : "off", spellcheck: "false",
      "aria-describedby": errorId }));
    const fieldset = el("fieldset", { className: "fr-fieldset date-naissance", id, role: "group",
      "aria-labelledby": id + "-legende" },
      el("legend", { className: "fr-fieldset__legend", id: id + "-legende" }, legendText + " ", mark,
        el("span", { className: "fr-hint-text", text: "Par exemple : 14 7 2007 (jour, mois, année)" })),
      DATE_PARTS.map((item, index) => el("div", {
        className: "fr-fieldset__element fr-fieldset__element--inline fr-fieldset__element--" + item.size },
        el("div", { className: "fr-input-group" },
          el("label", { className: "fr-label", for: inputs[index].id }, item.label,
            el("span", { className: "fr-hint-text", text: item.hint })),
          inputs[index]))),
      el("div", { className: "fr-messages-group" }, el("p", { id: errorId, className: "fr-error-text erreur-champ" })));
    Array.from(holder.attributes).forEach((attribute) => {
      if (attribute.name.startsWith("data-") && !fieldset.hasAttribute(attribute.name)) {
        fieldset.setAttribute(attribute.name, attribute.value);
      }
    });
    const [day, month, year] = inputs;
    const parts = () => inputs.map((input) => input.value.trim());

    function fill(iso) {
      const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
      day.value = match ? String(Number(match[3])) : "";
      month.value = match ? String(Number(match[2])) : "";
      year.value = match ? match[1] : "";
    }
    // The whole date typed or pasted in one field goes to the three.
    inputs.forEach((input) => {
      input.addEventListener("paste", (event) => {
        const whole = WHOLE_DATE.exec((event.clipboardData || window.clipboardData).getData("text") || "");
        if (!whole) return;
        event.preventDefault();
        [day.value, month.value, year.value] = [whole[1], whole[2], whole[3]];
        year.dispatchEvent(new Event("input", { bubbles: true }));
      });
    });
    Object.defineProperty(fieldset, "value", {
      get() {
        return dateProblem(fieldset, true) ? "" : [parts()[2], parts()[1].padStart(2, "0"), parts()[0].padStart(2, "0")].join("-");
      },
      set(iso) { fill(iso); },
    });
    Object.defineProperty(fieldset, "parts", {
      get() { return { jour: parts()[0], mois: parts()[1], annee: parts()[2] }; },
      set(given) { [day.value, month.value, year.value] = [given.jour || "", given.mois || "", given.annee || ""]; },
    });
    Object.defineProperty(fieldset, "required", {
      get() { return fieldset.hasAttribute("data-obligatoire"); },
      set(wanted) {
        fieldset.toggleAttribute("data-obligatoire", Boolean(wanted));
        mark.hidden = !wanted;
      },
    });
    fieldset.required = holder.hasAttribute("data-obligatoire");
    holder.replaceWith(fieldset);
  }

  /** What to fix in a date of birth, in French, or null. quiet: true when only asking whether it is
   *  complete and valid (an empty optional date is then a "problem": it has no value). */
  function dateProblem(fieldset, quiet) {
    const { jour, mois, annee } = fieldset.parts;
    const what = (fieldset.dataset.legende || "Date de naissance") + " : ";
    if (!jour && !mois && !annee) {
      if (quiet) return "empty";
      return fieldset.required ? fieldset.dataset.requis || what + "indiquez le jour, le mois et l'année." : null;
    }
    const missing = [!jour && "le jour", !mois && "le mois", !annee && "l'année"].filter(Boolean);
    if (missing.length) {
      return what + "indiquez " + missing.join(missing.length === 3 ? ", " : " et ").replace(", l'", " et l'") + ".";
    }
    const [d, m, y] = [Number(jour), Number(mois), Number(annee)];
    if (!/^\d{1,2}$/.test(jour) || d < 1 || d > 31) {
      return what + "le jour est un nombre de 1 à 31 ; « " + jour + " » ne convient pas.";
    }
    if (!/^\d{1,2}$/.test(mois) || m < 1 || m > 12) {
      return what + "le mois est un nombre de 1 à 12 ; « " + mois + " » ne convient pas."
        + (m > 12 && d <= 12 ? " Le jour et le mois sont-ils inversés ?" : "");
    }
    if (!/^\d{4}$/.test(annee)) return what + "l'année s'écrit avec 4 chiffres, par exemple 2007.";
    const date = new Date(Date.UTC(y, m - 1, d));
    if (date.getUTCDate() !== d) {
      return what + "le " + d + " / " + m + " / " + y + " n'existe pas : vérifiez le jour et le mois.";
    }
    const iso = [annee, mois.padStart(2, "0"), jour.padStart(2, "0")].join("-");
    if (iso > todayIso()) return what + "elle ne peut pas être dans le futur : vérifiez l'année.";
    if (y < 1900) return what + "l'année " + y + " est antérieure à 1900 : vérifiez-la.";
    return null;
  }

  document.querySelectorAll("[data-date-naissance]").forEach(buildDateOfBirth);

  // --- ALTCHA proof of work ------------------------------------------------------------------------
  // The official widget (npm altcha, its "external" build served under lib/altcha/: a module, its
  // stylesheet and its worker, all from the site, as the CSP asks) fetches GET /antirobot/challenge
  // when its box is checked and computes the proof in a worker; the form sends the payload it ends
  // with. A proof is single use and expires 10 minutes after the challenge was issued.

  /** The widget's files (about 30 KB gzipped) come when the person starts using the form (a field
   *  focused, a click or a tap in it): a visit that only reads the page loads nothing. */
  function loadAntirobotWhenNeeded(widget) {
    const form = widget.closest("form") || document;
    const load = () => {
      form.removeEventListener("focusin", load);
      form.removeEventListener("pointerdown", load);
      if (customElements.get("altcha-widget") || document.querySelector('script[src="lib/altcha/altcha.js"]')) return;
      document.head.append(el("link", { rel: "stylesheet", href: "lib/altcha/altcha.css" }),
        el("script", { type: "module", src: "lib/altcha/altcha.js" }));
    };
    form.addEventListener("focusin", load);
    form.addEventListener("pointerdown", load);
  }

  /**
   * The form's <altcha-widget>:
   *   proof(): resolves to the payload for the form's altcha field (waits for a computation under
   *            way), or null when the box is not checked / the computation failed or expired;
   *   reset(): unchecks the box (after a refused submission: a proof is single use).
   */
  function bindAntirobot(widget) {
    let state = "unverified";
    let payload = null;
    let waiting = [];
    loadAntirobotWhenNeeded(widget);
    apiUrl().then((base) => widget.setAttribute("challengeurl", base + "/antirobot/challenge"), () => {});
    widget.addEventListener("statechange", (event) => {
      state = event.detail.state;
      payload = event.detail.payload || null;
      if (state === "verifying") return;
      waiting.forEach((resolve) => resolve(state === "verified" ? payload : null));
      waiting = [];
    });

    async function proof() {
      if (state === "verified") return payload;
      if (state === "verifying") return new Promise((resolve) => waiting.push(resolve));
      return null;
    }

    function reset() {
      state = "unverified";
      payload = null;
      if (typeof widget.reset === "function") widget.reset();
    }

    return { proof, reset };
  }

  /**
   * The start of a public form's submission: its checks (by default the required fields), then the
   * anti-robot proof. Resolves to the proof, or to null once the errors are shown and the button is
   * free again.
   */
  async function checkedProof(form, button, antirobot, checks = () => checkRequired(form)) {
    clearErrors(form);
    const problems = checks();
    if (problems.length) {
      showErrors(form, formErrors(problems));
      return null;
    }
    busy(button, true, "Vérification anti-robot…");
    const altcha = await antirobot.proof();
    if (!altcha) {
      busy(button, false);
      antirobot.reset();
      showErrors(form, formErrors([{ errorId: "erreur-altcha",
        message: "La vérification anti-robot n'a pas abouti : cochez de nouveau la case « Je ne suis pas un robot »." }]));
      return null;
    }
    return altcha;
  }

  const ROLE_LABELS = {
    candidat: "Candidat",
    "auto-ecole": "Professionnel auto-école",
    "instructeur-ddt": "Instructeur DDT",
    "instructeur-cert": "Instructeur CERT",
    inspecteur: "Inspecteur",
    prefecture: "Administrateur de préfecture",
    mediateur: "Médiateur numérique",
  };

  // --- The page's frame: the header's menu and tools of a signed-in person ---------------------
  // The frame is in the HTML (web/gabarits/: header, footer, display settings) with a visitor's menu
  // and tools, so that a page without JavaScript has it. A signed-in person's depend on their role:
  // drawn here over the visitor's, in the same elements. Only constant text goes through innerHTML.

  const MENUS = {
    "auto-ecole": [["demandes", "demandes.html", "Tableau de bord"], ["demande", "demandes.html#nouvelle", "Nouvelle demande"],
      ["membres", "membres.html", "Membres de l'auto-école"], ["rendez-vous", "rendez-vous.html", "Rendez-vous"],
      ["espace", "espace.html", "Mon compte"], ["contact", "contact.html", "Contact et aide"]],
    candidat: [["demandes", "demandes.html", "Mes demandes"], ["espace", "espace.html", "Mon compte"],
      ["contact", "contact.html", "Contact et aide"]],
    "instructeur-ddt": [["console", "console.html", "File d'instruction"], ["creneaux", "creneaux.html", "Rendez-vous"],
      ["support", "support.html", "Support"], ["espace", "espace.html", "Mon compte"]],
    "instructeur-cert": [["console", "console.html", "File d'instruction"], ["espace", "espace.html", "Mon compte"]],
    prefecture: [["console", "console.html", "Files d'instruction"], ["statistiques", "statistiques.html", "Statistiques"],
      ["creneaux", "creneaux.html", "Rendez-vous"], ["support", "support.html", "Support"],
      ["espace", "espace.html", "Mon compte"]],
    inspecteur: [["examens", "examen.html", "Examens du jour"], ["espace", "espace.html", "Mon compte"]],
    mediateur: [["demandes", "demandes.html", "Demandes accompagnées"], ["demande", "demandes.html#nouvelle", "Nouvelle demande"],
      ["courriers", "courriers.html", "Courriers à envoyer"], ["espace", "espace.html", "Mon compte"]],
  };

  /** Where a role lands after signing in: its own dashboard, the first item of its menu. */
  function homeOf(role) {
    const first = (MENUS[role] || [])[0];
    return first ? first[1] : "espace.html";
  }

  function menuItem([key, href, label], current) {
    const here = key === current ? ' aria-current="page"' : "";
    return `<li class="fr-nav__item"><a class="fr-nav__link" href="${href}"${here}>${label}</a></li>`;
  }

  const SIGNED_IN_TOOLS = '<li><a class="fr-btn fr-icon-account-circle-line" href="espace.html">Mon compte</a></li>'
    + '<li><button type="button" class="fr-btn fr-icon-logout-box-r-line" data-se-deconnecter>Se déconnecter</button></li>';
  const LOCAL_MAILBOX = '<li data-boite-locale><a class="fr-btn fr-icon-mail-line" href="boite-mail.html">Boîte mail (locale)</a></li>';

  /** The header as the person sees it: their role's menu and tools when signed in (none until the
   *  role is known), the local mailbox on `make run`. The DSFR copies the tools into the mobile
   *  menu when it starts: a later change is copied there too. */
  function drawFrame(local) {
    const tools = document.getElementById("outils-entete");
    const menu = document.querySelector("#navigation-principale .fr-nav__list");
    if (!tools || !menu) return;
    if (hasSession()) {
      menu.innerHTML = (MENUS[knownRole()] || []).map((item) => menuItem(item, document.body.dataset.page)).join("");
      tools.innerHTML = SIGNED_IN_TOOLS;
    }
    if (local && !tools.querySelector("[data-boite-locale]")) tools.insertAdjacentHTML("beforeend", LOCAL_MAILBOX);
    const mobileCopy = document.querySelector(".fr-header__menu-links");
    if (mobileCopy && mobileCopy.firstChild) mobileCopy.innerHTML = tools.outerHTML.replace('id="outils-entete"', 'id="outils-entete-mobile"');
  }

  let profilePromise = null;

  /** GET /me, once per page, shared by the frame and the page (same result shape as callApi). */
  function profile() {
    if (!profilePromise) {
      profilePromise = callApi("/me", { token: true }).then((result) => {
        if (result.ok) rememberRole(result.data.role);
        return result;
      });
    }
    return profilePromise;
  }

  /** Signs out of this tab (the refresh token is forgotten) and goes to the sign-in page. */
  function signOut() {
    endSession("Vous êtes déconnecté.");
  }

  function startFrame() {
    drawFrame(false);
    // "Se déconnecter" in the header and in its mobile copy, drawn at any time.
    document.addEventListener("click", (event) => {
      if (event.target.closest("[data-se-deconnecter]")) signOut();
    });
    siteConfig().then((config) => { if (config.local) drawFrame(true); }, () => {});
    // A session whose role is not known yet (first page after signing in): ask, then redraw.
    if (hasSession() && !knownRole() && document.getElementById("outils-entete")) {
      profile().then(() => siteConfig()).then((config) => drawFrame(Boolean(config.local)), () => drawFrame(false));
    }
  }

  /** The end of a procedure: "Je donne mon avis" (gabarits/champs.html je_donne_mon_avis) appears. */
  /** The signed-in person's profile when their role is one of `roles` (any role when null), the
   *  page's loading notice (#chargement) cleared; or null once the page says why not: the session
   *  over (the sign-in page comes), a failure, or a role the page is not for (`refusal`). */
  async function profileFor(roles, refusal) {
    const status = document.getElementById("chargement");
    const result = await profile();
    if (result.sessionOver) return null;
    if (!result.ok) {
      showMessage(status, result.data.message, "echec");
      return null;
    }
    if (roles && !roles.includes(result.data.role)) {
      showMessage(status, refusal, "info");
      return null;
    }
    showMessage(status, "");
    return result.data;
  }

  /** After a sign-in (password or FranceConnect): this session only (nothing of a previous
   *  account stays: its role drew the menu), its notice, then the page that sent the person to
   *  sign in (setReturnTo), else their role's own space. */
  async function startSession(tokens, message) {
    clearSession();
    saveTokens(tokens);
    setNotice(message);
    const back = takeReturnTo();
    if (back) {
      window.location.assign(back);
      return;
    }
    const me = await profile();
    if (me.sessionOver) return;
    window.location.assign(me.ok ? homeOf(me.data.role) : "espace.html");
  }

  function askFeedback() {
    document.querySelectorAll("[data-avis-usager]").forEach((block) => { block.hidden = false; });
  }

  /** A form asking for a 12-digit number (a request's, a NEPH): the digits typed (spaces removed, as
   *  printed), or null once the form shows what to fix (`message` when it is not 12 digits). */
  function twelveDigits(form, input, errorId, message) {
    clearErrors(form);
    const problems = checkRequired(form);
    const value = input.value.replace(/\s+/g, "");
    if (!problems.length && !/^\d{12}$/.test(value)) problems.push({ errorId, message });
    if (problems.length) {
      showErrors(form, formErrors(problems));
      return null;
    }
    return value;
  }

  // --- A request's messages (demande.html, valider.html, console.html) ------------------------------

  // --- Files sent to the storage ----------------------------------------------------------------

  /** The file's content type as the storage will be told; some systems give none for a PDF. */
  function contentTypeOf(file) {
    const type = (file.type || "").toLowerCase();
    if (type === "image/jpg" || type === "image/pjpeg") return "image/jpeg";
    if (type) return type;
    const extension = (/\.([a-z0-9]+)$/i.exec(file.name) || [])[1];
    return { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", pdf: "application/pdf" }[(extension || "").toLowerCase()] || "";
  }

  /** The multipart POST to the storage: the policy's fields first, the file last (XHR for progress:
   *  onProgress(percent), if given). Resolves to whether the storage took it. */
  function postToStorage(upload, file, onProgress) {
    return new Promise((resolve) => {
      const data = new FormData();
      Object.entries(upload.fields || {}).forEach(([name, fieldValue]) => data.append(name, fieldValue));
      data.append("file", file);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", upload.url);
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable && onProgress) onProgress(Math.round((100 * event.loaded) / event.total));
      });
      xhr.addEventListener("load", () => resolve(xhr.status >= 200 && xhr.status < 300));
      ["error", "abort", "timeout"].forEach((type) => xhr.addEventListener(type, () => resolve(false)));
      xhr.send(data);
    });
  }

  // --- A request's messages ----------------------------------------------------------------------

  // The same limits as the API's (domain/messages.py): checked here first, so that nothing is sent
  // for a file the service would refuse.
  const ATTACHMENT_TYPES = ["application/pdf", "image/jpeg", "image/png"];
  const ATTACHMENT_MAX = 3;
  const ATTACHMENT_MIN_BYTES = 1024;
  const ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024;
  // A file's check takes a few seconds: the thread is read again meanwhile, for a minute at most.
  const THREAD_REFRESH_MS = 2000;
  const THREAD_REFRESHES = 30;

  function attachmentProblem(files) {
    if (files.length > ATTACHMENT_MAX) {
      return "Un message emporte au plus " + ATTACHMENT_MAX + " pièces jointes (" + files.length
        + " choisies) : envoyez les autres dans un second message.";
    }
    for (const file of files) {
      if (!ATTACHMENT_TYPES.includes(contentTypeOf(file))) {
        return "« " + file.name + " » : format non accepté. Joignez un fichier PDF, JPEG ou PNG.";
      }
      if (file.size < ATTACHMENT_MIN_BYTES) {
        return "« " + file.name + " » est vide ou presque (moins de 1 Ko) : choisissez un autre fichier.";
      }
      if (file.size > ATTACHMENT_MAX_BYTES) {
        return "« " + file.name + " » dépasse 5 Mo : réduisez sa résolution ou envoyez-le en PDF.";
      }
    }
    return null;
  }

  /**
   * The thread of a request, drawn in `container` under the page's own heading: the messages oldest
   * first, each with its files (opened in the page once checked), and the form to write, with up to
   * three files, while the request is open (the API says when it is closed). One copy of its markup
   * for the filing side and for the agents. Returns { show(path) } to show the thread at `path`
   * (".../requests/N/messages"), and { focus() } to put the focus on the text.
   * `words.hint`: for whom a message is, under its field; `words.sent`: said once it is sent.
   */
  function messageThread(container, words) {
    let path = null;
    let refreshTimer = null;
    let refreshes = 0;
    const list = el("ol", { className: "fil-messages fr-raw-list" });
    const state = el("p", { role: "status", "aria-live": "polite", className: "fr-mb-2w" });
    const text = el("textarea", { className: "fr-input", id: "message-text", name: "text", rows: "3", maxlength: "2000",
      required: true, "aria-describedby": "aide-message erreur-message-text",
      "data-requis": "Écrivez le message avant de l'envoyer." });
    const files = el("input", { className: "fr-upload", type: "file", id: "message-attachments", name: "attachments",
      multiple: true, accept: ATTACHMENT_TYPES.join(",") + ",.pdf,.jpg,.jpeg,.png",
      "aria-describedby": "aide-pieces-jointes erreur-message-attachments" });
    const button = el("button", { type: "submit", className: "fr-btn fr-btn--sm", text: "Envoyer le message" });
    const form = el("form", { novalidate: true },
      el("div", { className: "resume-erreurs fr-alert fr-alert--error fr-mb-3w", role: "alert", tabindex: "-1",
        hidden: true }),
      el("div", { className: "fr-input-group" },
        el("label", { className: "fr-label", for: "message-text" }, "Votre message",
          el("span", { className: "fr-hint-text", id: "aide-message", text: words.hint
            + " 2000 caractères au plus." })),
        text,
        el("p", { id: "erreur-message-text", className: "fr-error-text erreur-champ" })),
      el("div", { className: "fr-upload-group fr-mb-2w" },
        el("label", { className: "fr-label", for: "message-attachments" }, "Pièces jointes (facultatif)",
          el("span", { className: "fr-hint-text", id: "aide-pieces-jointes",
            text: "3 fichiers au plus, PDF, JPEG ou PNG, 5 Mo chacun. Ils sont vérifiés avant de pouvoir être "
              + "ouverts." })),
        files,
        el("p", { id: "erreur-message-attachments", className: "fr-error-text erreur-champ" })),
      button);
    const closed = el("p", { className: "fr-text--sm", hidden: true });
    container.replaceChildren(list, state, closed, form);

    function attachmentItem(attachment) {
      const shown = el("div", { className: "piece-jointe-vue" });
      const line = el("li", { className: "fr-mb-1v" });
      if (attachment.state === "accepted") {
        const open = el("button", { type: "button", className: "fr-btn fr-btn--tertiary fr-btn--sm "
          + "fr-btn--icon-left fr-icon-attachment-line", "aria-expanded": "false",
        text: "Afficher « " + attachment.file_name + " »" });
        open.addEventListener("click", () => showAttachment(attachment, open, shown));
        line.append(open, shown);
      } else {
        line.append(el("span", { className: "fr-icon-attachment-line fr-icon--sm", "aria-hidden": "true" }), " ",
          el("span", { text: attachment.file_name }), " – ",
          el("span", { className: "fr-badge fr-badge--sm fr-badge--no-icon "
            + (attachment.state === "refused" ? "fr-badge--error" : "fr-badge--info"), text: attachment.state_label }),
          attachment.reason ? el("span", { className: "fr-text--xs", text: " " + attachment.reason }) : null);
      }
      return line;
    }

    async function showAttachment(attachment, open, shown) {
      if (open.getAttribute("aria-expanded") === "true") {
        shown.replaceChildren();
        open.setAttribute("aria-expanded", "false");
        open.textContent = "Afficher « " + attachment.file_name + " »";
        return;
      }
      busy(open, true, "Ouverture…");
      const result = await callApi(path + "/pieces-jointes/" + encodeURIComponent(attachment.attachment_id),
        { token: true });
      busy(open, false);
      if (result.sessionOver) return;
      if (!result.ok) {
        shown.replaceChildren(el("p", { className: "fr-error-text", text: result.data.message }));
        return;
      }
      const file = result.data;
      shown.replaceChildren(file.content_type === "application/pdf"
        ? el("iframe", { src: file.url, title: attachment.file_name + " (PDF)", className: "visionneuse-pdf" })
        : el("img", { src: file.url, alt: "Pièce jointe : " + attachment.file_name, className: "piece-jointe-image" }));
      open.setAttribute("aria-expanded", "true");
      open.textContent = "Masquer « " + attachment.file_name + " »";
    }

    function item(message) {
      const who = message.mine ? "Vous" : message.author_label;
      const attachments = message.attachments || [];
      return el("li", { className: "carte fr-mb-1w message-" + message.side + (message.mine ? " message-mien" : "") },
        el("p", { className: "fr-text--xs fr-mb-1v" },
          el("strong", { text: who }), " – ", el("time", { datetime: message.at, text: formatDate(message.at, true) })),
        el("p", { className: "fr-mb-0 message-texte", text: message.text }),
        attachments.length ? el("ul", { className: "fr-raw-list pieces-jointes fr-mt-1w",
          "aria-label": "Pièces jointes" }, attachments.map(attachmentItem)) : null);
    }

    function checking(thread) {
      return thread.messages.some((message) => (message.attachments || []).some((attachment) =>
        attachment.state === "pending" || attachment.state === "awaiting_upload"));
    }

    function draw(thread) {
      list.replaceChildren(...thread.messages.map(item));
      list.hidden = !thread.messages.length;
      showMessage(state, thread.messages.length ? "" : "Aucun message pour le moment.");
      form.hidden = !thread.open;
      closed.hidden = thread.open;
      closed.textContent = thread.closed_reason || "";
    }

    /** While a file of the thread is being checked, the thread is read again (a minute at most). */
    function refreshWhileChecking(thread) {
      clearTimeout(refreshTimer);
      if (!checking(thread) && state.dataset.verification) {
        delete state.dataset.verification;
        showMessage(state, words.sent + " La vérification des pièces jointes est terminée : leur état est indiqué sous "
          + "le message.", "succes");
      }
      if (!checking(thread) || refreshes >= THREAD_REFRESHES) return;
      const threadPath = path;
      refreshTimer = setTimeout(async () => {
        refreshes++;
        const result = await callApi(threadPath, { token: true });
        if (result.sessionOver || path !== threadPath || !result.ok) return;
        // Only the files' states change: the messages are drawn again unless one is shown now.
        if (!list.querySelector('[aria-expanded="true"]')) list.replaceChildren(...result.data.messages.map(item));
        refreshWhileChecking(result.data);
      }, THREAD_REFRESH_MS);
    }

    async function show(threadPath) {
      path = threadPath;
      refreshes = 0;
      clearTimeout(refreshTimer);
      form.reset();
      clearErrors(form);
      list.replaceChildren();
      // A line in place while the thread loads, so that the page does not move under the pointer.
      showMessage(state, "Chargement des messages…");
      const result = await callApi(path, { token: true });
      if (result.sessionOver || path !== threadPath) return;
      if (!result.ok) {
        showMessage(state, result.data.message, "echec");
        return;
      }
      draw(result.data);
      refreshWhileChecking(result.data);
    }

    /** Each chosen file: its upload form, then the file to the storage. { ids }, { closed: why } when
     *  the thread closed meanwhile, or null once an error is shown (or the session is over). */
    async function sendFiles(chosen) {
      const refuse = (message) => showErrors(form, formErrors([{ errorId: "erreur-message-attachments", message }]));
      const ids = [];
      for (const [index, file] of chosen.entries()) {
        busy(button, true, "Envoi du fichier " + (index + 1) + " sur " + chosen.length + "…");
        const prepared = await callApi(path + "/pieces-jointes", { method: "POST", token: true,
          body: { file_name: file.name, content_type: contentTypeOf(file), size: file.size } });
        if (prepared.sessionOver) return null;
        if (!prepared.ok) {
          if (prepared.data.code === "thread_closed") return { closed: prepared.data.message };
          refuse(prepared.data.message);
          return null;
        }
        if (!await postToStorage(prepared.data, file)) {
          refuse("L'envoi de « " + file.name + " » n'a pas abouti (connexion interrompue ou délai dépassé) : "
            + "réessayez.");
          return null;
        }
        ids.push(prepared.data.attachment_id);
      }
      return { ids };
    }

    function threadClosed(message) {
      form.hidden = true;
      closed.hidden = false;
      closed.textContent = message;
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (button.disabled || !path) return;
      clearErrors(form);
      const problems = checkRequired(form);
      const chosen = Array.from(files.files || []);
      const fileProblem = attachmentProblem(chosen);
      if (fileProblem) problems.push({ errorId: "erreur-message-attachments", message: fileProblem });
      if (problems.length) {
        showErrors(form, formErrors(problems));
        return;
      }
      const uploaded = await sendFiles(chosen);
      if (!uploaded || uploaded.closed) {
        busy(button, false);
        if (uploaded) threadClosed(uploaded.closed);
        return;
      }
      const { ids } = uploaded;
      busy(button, true, "Envoi…");
      const result = await callApi(path, { method: "POST", body: { text: text.value, attachments: ids }, token: true });
      busy(button, false);
      if (result.sessionOver) return;
      if (result.ok) {
        form.reset();
        list.hidden = false;
        list.append(item(result.data));
        showMessage(state, words.sent + (ids.length ? " Les pièces jointes sont en cours de vérification." : ""),
          "succes");
        if (ids.length) state.dataset.verification = "1";
        refreshes = 0;
        refreshWhileChecking({ messages: [result.data] });
        return;
      }
      if (result.data.code === "thread_closed") {
        threadClosed(result.data.message);
        return;
      }
      showErrors(form, result.data, { prefix: "message-" });
    });

    return { show, focus: () => text.focus() };
  }

  // --- Staff pages: the access block -----------------------------------------------------------------

  /**
   * The agents' pages (console, statistics, exams) when the account may not use them: their
   * #bloc-acces says why and where to go, the page's own blocks (`hidden`: their ids) are hidden.
   * Returns { noAccess(title, text, link, linkText), refused(result) }; refused handles the staff
   * routes' common refusals (session over, double authentication missing, another role) and is
   * true when it did (the caller stops). `onHide` runs when the page's blocks are hidden.
   */
  function staffAccess(hidden, forbiddenTitle, onHide) {
    const byId = (id) => document.getElementById(id);
    function noAccess(title, text, link, linkText) {
      byId("chargement").hidden = true;
      hidden.forEach((id) => { byId(id).hidden = true; });
      if (onHide) onHide();
      byId("titre-acces").textContent = title;
      byId("texte-acces").textContent = text;
      byId("lien-acces").href = link;
      byId("lien-acces").textContent = linkText;
      byId("bloc-acces").hidden = false;
      byId("titre-acces").focus();
    }
    function mfaMissing(message) {
      noAccess("Activez d'abord la double authentification",
        message || "Les comptes d'agents doivent activer la double authentification avant d'utiliser cette page.",
        "espace.html#bloc-mfa", "Configurer la double authentification dans « Mon compte »");
    }
    function refused(result) {
      if (result.sessionOver) return true;
      if (result.status === 403 && result.data && result.data.code === "mfa_required") {
        mfaMissing(result.data.message);
        return true;
      }
      if (result.status === 403) {
        noAccess(forbiddenTitle, result.data.message, "espace.html", "Aller à mon compte");
        return true;
      }
      return false;
    }
    /** The signed-in agent if their role is one of `roles` and their double authentication is on;
     *  else null, the page saying why (`explain(role label)`: the text under `title`). */
    async function signedIn(roles, title, explain) {
      const result = await profile();
      if (result.sessionOver) return null;
      if (!result.ok) {
        byId("chargement").hidden = true;
        showMessage(byId("avis"), result.data.message, "echec");
        return null;
      }
      const me = result.data;
      if (!roles.includes(me.role)) {
        noAccess(title, explain(ROLE_LABELS[me.role] || me.role), "espace.html", "Aller à mon compte");
        return null;
      }
      if (me.mfa_required) {
        mfaMissing();
        return null;
      }
      return me;
    }
    return { noAccess, mfaMissing, refused, signedIn };
  }

  // --- On every page ---------------------------------------------------------------------------------

  startFrame();

  return {
    apiUrl, callApi, saveTokens, accessToken, hasSession, knownRole, rememberRole, profile, siteConfig, signOut,
    apiIdle, clearSession, endSession, setNotice, takeNotice,
    setReturnTo, takeReturnTo, forgetReturnTo, homeOf, askFeedback, profileFor, startSession, COUNTRIES, bindBirthPlace,
    el, showMessage, formatDate, fragment, forgetFragment, busy,
    errorIdFor, clearErrors, showErrors, showFieldError, checkRequired, formErrors, checkNewPassword, dateProblem,
    bindAddress, bindAntirobot, checkedProof, staffAccess, twelveDigits, messageThread, ROLE_LABELS,
    contentTypeOf, postToStorage, parisDay,
    STREET_TYPES,
  };
})();
