"use strict";
// School sign-up: POST /accounts/schools (inscription.js: the proof, the errors, the success).

(function inscriptionAutoEcole() {
  const readAddress = Permis.bindAddress();
  const value = (id) => document.getElementById(id).value.trim();

  Inscription.bind("/accounts/schools", () => ({
    birth_name: value("birth_name"),
    first_name: value("first_name"),
    email: value("email"),
    company_name: value("company_name"),
    agrement_number: value("agrement_number"),
    address: readAddress(),
  }));
})();
