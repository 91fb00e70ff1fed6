"use strict";
// Verification of a document's QR code (POST /verification, no account needed). The QR code is
// read IN THE BROWSER from an image (jsQR, lib/jsqr/jsQR.js: the image never leaves the device),
// or its text is pasted; only the text is sent. The verdict says whether the document is authentic
// and what it must carry, to compare with the paper.

(function verification() {
  const byId = (id) => document.getElementById(id);
  const el = Permis.el;
  const form = byId("formulaire");
  const button = byId("verifier");
  const imageInput = byId("image");
  const imageState = byId("etat-image");
  let decoded = null; // {file, text} : the QR code read from the chosen image, or text null

  const mode = () => (form.querySelector('input[name="mode"]:checked') || {}).value || "image";

  function showMode() {
    byId("bloc-image").hidden = mode() !== "image";
    byId("bloc-texte").hidden = mode() !== "texte";
    Permis.clearErrors(form);
  }
  form.querySelectorAll('input[name="mode"]').forEach((radio) => radio.addEventListener("change", showMode));

  // --- Reading the QR code from an image --------------------------------------------------------

  const MAX_BYTES = 15 * 1024 * 1024;
  const IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif", "image/bmp"];

  function loadImage(file) {
    return new Promise((resolve, reject) => {
      const url = URL.createObjectURL(file);
      const image = new Image();
      image.onload = () => { URL.revokeObjectURL(url); resolve(image); };
      image.onerror = () => { URL.revokeObjectURL(url); reject(new Error("image illisible")); };
      image.src = url;
    });
  }

  /** The QR code's text in the image, or null. A photo is tried at a few sizes: jsQR finds a
   *  small code better in a reduced image, and a big image costs time. */
  function scan(image) {
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    const longest = Math.max(image.naturalWidth, image.naturalHeight);
    const sizes = [Math.min(longest, 1600), 1000, 600].filter((size, index, all) => size <= longest
      && all.indexOf(size) === index);
    if (!sizes.length) sizes.push(longest);
    for (const size of sizes) {
      const scale = size / longest;
      canvas.width = Math.max(1, Math.round(image.naturalWidth * scale));
      canvas.height = Math.max(1, Math.round(image.naturalHeight * scale));
      context.fillStyle = "#fff"; // a transparent PNG's background reads as white, not black
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
      const found = window.jsQR(pixels.data, pixels.width, pixels.height, { inversionAttempts: "attemptBoth" });
      if (found && found.data) return found.data;
    }
    return null;
  }

  let readerPromise = null;

  /** jsQR (250 KB), loaded only when someone reads an image: a visit that pastes the text, or just
   *  looks, does not pay for it. Resolves to true when the reader is there. */
  function loadReader() {
    if (typeof window.jsQR === "function") return Promise.resolve(true);
    if (!readerPromise) {
      readerPromise = new Promise((resolve) => {
        const script = document.createElement("script");
        script.src = "lib/jsqr/jsQR.js";
        script.onload = () => resolve(typeof window.jsQR === "function");
        script.onerror = () => { readerPromise = null; resolve(false); };
        document.head.append(script);
      });
    }
    return readerPromise;
  }

  /** Reads the chosen image; resolves to {text} or {error} (a French sentence). */
  async function readImage(file) {
    if (!IMAGE_TYPES.includes(file.type)) {
      return { error: "Ce fichier n'est pas une image : choisissez une photo, une capture d'écran ou un scan "
        + "(PNG, JPEG ou WebP)." };
    }
    if (file.size > MAX_BYTES) return { error: "Cette image dépasse 15 Mo : choisissez une image plus légère." };
    if (!(await loadReader())) {
      return { error: "La lecture des images n'est pas disponible : collez plutôt le texte du QR code." };
    }
    let image;
    try {
      image = await loadImage(file);
    } catch (error) {
      return { error: "Cette image ne peut pas être ouverte : choisissez un autre fichier (PNG, JPEG ou WebP)." };
    }
    const text = scan(image);
    if (!text) {
      return { error: "Aucun QR code n'a été trouvé dans cette image : cadrez le QR code de plus près, bien net et "
        + "éclairé, ou collez le texte du QR code." };
    }
    return { text };
  }

  imageInput.addEventListener("change", async () => {
    Permis.clearErrors(form);
    decoded = null;
    const file = imageInput.files[0];
    if (!file) {
      Permis.showMessage(imageState, "");
      return;
    }
    Permis.showMessage(imageState, "Lecture du QR code…");
    const result = await readImage(file);
    if (imageInput.files[0] !== file) return; // another image was chosen meanwhile
    decoded = { file, ...result };
    Permis.showMessage(imageState, result.text ? "QR code lu : vous pouvez vérifier le document." : "");
    if (result.error) Permis.showFieldError(byId("erreur-image"), result.error);
  });

  // --- The verdict -------------------------------------------------------------------------------

  const VERDICTS = {
    authentic: ["fr-alert--success", "Document authentique"],
    expired: ["fr-alert--warning", "Document authentique, mais plus valable"],
    malformed: ["fr-alert--error", "Ce QR code n'est pas celui d'un document Permis en ligne"],
    unknown_key: ["fr-alert--error", "Document non émis par Permis en ligne"],
    bad_signature: ["fr-alert--error", "Document modifié ou falsifié"],
  };

  function today() {
    const now = new Date();
    return [now.getFullYear(), String(now.getMonth() + 1).padStart(2, "0"), String(now.getDate()).padStart(2, "0")].join("-");
  }

  function showVerdict(answer) {
    const expired = answer.authentic && answer.valid_until && answer.valid_until < today();
    const key = answer.authentic ? (expired ? "expired" : "authentic") : answer.code;
    const [modifier, title] = VERDICTS[key] || ["fr-alert--error", "Document non reconnu"];
    const verdict = byId("verdict");
    verdict.className = "fr-alert fr-mb-3w " + modifier;
    byId("titre-verdict").textContent = title;
    byId("message-verdict").textContent = answer.message;

    const list = byId("contenu-document");
    list.replaceChildren();
    if (answer.authentic) {
      const rows = [["Document", answer.document], ["Numéro NEPH", answer.neph],
        ["Numéro de demande", answer.request_id], ["Démarche", answer.procedure], ["Nom de naissance", answer.birth_name],
        ["Prénoms", answer.first_names], ["Date de naissance", answer.birth_date && Permis.formatDate(answer.birth_date)],
        ["Délivré le", answer.issued_on && Permis.formatDate(answer.issued_on)],
        ["Déposée le", answer.deposited_on && Permis.formatDate(answer.deposited_on)]];
      rows.filter(([, value]) => value).forEach(([term, value]) => list.append(el("dt", { text: term }), el("dd", { text: value })));
      const validity = byId("validite");
      if (answer.valid_until) {
        validity.textContent = (expired ? "Ce certificat n'était valable que jusqu'au " : "Ce certificat est valable jusqu'au ")
          + Permis.formatDate(answer.valid_until) + " inclus.";
        validity.className = "fr-mb-0 fr-badge " + (expired ? "fr-badge--warning" : "fr-badge--success");
        validity.hidden = false;
      } else {
        validity.hidden = true;
      }
    }
    byId("bloc-contenu").hidden = !answer.authentic;
    byId("conseil").hidden = Boolean(answer.authentic) && !expired;
    const block = byId("bloc-verdict");
    block.hidden = false;
    block.focus();
  }

  // --- Sending --------------------------------------------------------------------------------------

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    Permis.clearErrors(form);
    byId("bloc-verdict").hidden = true;
    const problems = Permis.checkRequired(form);
    if (problems.length) {
      Permis.showErrors(form, Permis.formErrors(problems));
      return;
    }
    let payload;
    if (mode() === "image") {
      const file = imageInput.files[0];
      if (!decoded || decoded.file !== file) {
        Permis.busy(button, true, "Lecture du QR code…");
        decoded = { file, ...(await readImage(file)) };
        Permis.busy(button, false);
      }
      if (decoded.error) {
        Permis.showErrors(form, Permis.formErrors([{ errorId: "erreur-image", message: decoded.error }]));
        return;
      }
      payload = decoded.text.trim();
    } else {
      payload = byId("payload").value.trim();
    }
    Permis.busy(button, true, "Vérification…");
    const result = await Permis.callApi("/verification", { method: "POST", body: { payload } });
    Permis.busy(button, false);
    if (!result.ok) {
      const error = result.data;
      if (mode() === "image" && Array.isArray(error.details)) {
        // The text read from the image was refused: say it next to the image field.
        error.details = error.details.map((detail) => ({ errorId: "erreur-image", message: detail.message }));
      }
      Permis.showErrors(form, error);
      return;
    }
    showVerdict(result.data);
  });

  byId("autre").addEventListener("click", () => {
    form.reset();
    decoded = null;
    Permis.showMessage(imageState, "");
    showMode();
    byId("bloc-verdict").hidden = true;
    byId("mode-image").focus();
  });

  showMode();
})();
