import json

from chalice import Blueprint, Chalice
from openapi_spec_validator import validate

from chalicelib.api.openapi import build_spec, undocumented_routes


def test_the_served_document_is_valid_openapi_3_1_and_lists_every_route(app, http):
    response = http.get("/openapi.json")
    assert response.status_code == 200
    spec = json.loads(response.body)
    validate(spec)  # raises on an invalid document
    assert spec["openapi"].startswith("3.1")
    served = {(path, method.upper()) for path, methods in spec["paths"].items() for method in methods}
    assert served == {(path, method) for path, methods in app.routes.items() for method in methods}
    assert undocumented_routes(app.routes) == []


def test_models_are_generated_from_pydantic_with_their_constraints(http):
    spec = json.loads(http.get("/openapi.json").body)
    create = spec["paths"]["/demo/messages"]["post"]
    request_ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][request_ref.rsplit("/", 1)[1]]
    assert schema["properties"]["text"]["maxLength"] == 280
    assert schema["additionalProperties"] is False
    assert {"201", "400", "413", "422"} <= set(create["responses"])
    error = spec["paths"]["/demo/messages/{message_id}"]["get"]["responses"]["404"]
    assert error["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")


def test_a_route_declared_without_the_helper_is_reported_as_undocumented():
    scratch = Chalice(app_name="scratch")
    blueprint = Blueprint("scratch")

    @blueprint.route("/hidden")
    def hidden():
        return {}

    scratch.register_blueprint(blueprint)
    assert undocumented_routes(scratch.routes) == ["GET /hidden"]
    assert build_spec(scratch.routes)["paths"]["/hidden"]["get"]["summary"] == ""
