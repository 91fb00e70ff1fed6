"use strict";
// Candidate sign-up: POST /accounts/candidates (inscription.js: the proof, the errors, the success).

(function inscriptionCandidat() {
  const form = document.getElementById("formulaire");
  const byId = (id) => document.getElementById(id);
  const value = (id) => byId(id).value.trim();
  const readAddress = Permis.bindAddress();
  const readBirthPlace = Permis.bindBirthPlace();

  Inscription.bind("/accounts/candidates", () => {
    const body = {
      birth_name: value("birth_name"),
      first_names: value("first_names"),
      sex: form.querySelector('input[name="sex"]:checked').value,
      birth_date: byId("birth_date").value,
      birth_place: readBirthPlace(),
      email: value("email"),
      mobile_phone: value("mobile_phone"),
      address: readAddress(),
    };
    if (value("usage_name")) body.usage_name = value("usage_name");
    return body;
  }, () => Permis.checkRequired(form).concat(readBirthPlace.checks())); // beyond the required fields
})();
