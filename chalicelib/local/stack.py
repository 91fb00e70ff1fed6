"""`make run`: the whole product on one machine, on the embedded local AWS.

Starts moto server, provisions every resource of the catalogue, starts the stand-in of the ePhoto
operator, the event pump and the API (chalice local's server, stage `local`), serves web/, loads
demo data, prints the URLs and demo logins. Ctrl-C stops everything it started, and nothing else."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from chalicelib.cli import FrenchParser
from chalicelib.resources import CATALOGUE

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Logs and the running stack's identifiers; the end-to-end tests point it elsewhere.
LOCAL_DIR = Path(os.environ.get("PERMIS_LOCAL_DIR", PROJECT_DIR / ".local"))
LOG_DIR = LOCAL_DIR / "logs"
STACK_ENV_FILE = LOCAL_DIR / "stack-env.json"


def local_aws_environment(endpoint_url: str) -> dict[str, str]:
    """Credentials and flags that point every AWS SDK call at moto, never at a real account."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_SESSION_TOKEN": "local",
        "AWS_DEFAULT_REGION": "eu-west-3", "AWS_REGION": "eu-west-3",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true",
    }


class Stack:
    def __init__(self, host: str, aws_port: int, api_port: int, web_port: int, demo_data: bool,
                 ephoto_port: int = 8002):
        self.host, self.aws_port, self.api_port, self.web_port = host, aws_port, api_port, web_port
        self.ephoto_port = ephoto_port
        self.demo_data = demo_data
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.web_server = None
        self.ephoto_server = None
        self.aws_url = f"http://{host}:{aws_port}"
        self.api_url = f"http://{host}:{api_port}"
        self.web_url = f"http://{host}:{web_port}"
        self.ephoto_url = f"http://{host}:{ephoto_port}"

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log = open(LOG_DIR / f"{name}.log", "w")
        # Own session: the terminal's Ctrl-C reaches only the launcher, which stops children in order.
        process = subprocess.Popen([sys.executable, *args], cwd=PROJECT_DIR, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.children.append((name, process))
        return process

    def start(self) -> None:
        from chalicelib.local.processes import PortTaken, ensure_free, wait_http

        if len({self.aws_port, self.api_port, self.web_port, self.ephoto_port}) < 4:
            raise PortTaken("Les ports AWS_PORT, API_PORT, WEB_PORT et EPHOTO_PORT doivent être différents.")

        for port, what, variable in ((self.aws_port, "AWS local (moto)", "AWS_PORT"),
                                     (self.api_port, "API", "API_PORT"), (self.web_port, "pages web", "WEB_PORT"),
                                     (self.ephoto_port, "opérateur ePhoto simulé", "EPHOTO_PORT")):
            ensure_free(self.host, port, what, variable)

        os.environ.update(local_aws_environment(self.aws_url))
        # The workers fetch the ePhoto images from the stand-in, as deployed from the operator.
        os.environ.update({"PERMIS_STAGE": "local", "WEB_ORIGIN": self.web_url, "EPHOTO_API_URL": self.ephoto_url})
        from chalicelib.local.ephoto_server import build_ephoto_server

        self.ephoto_server = build_ephoto_server(self.host, self.ephoto_port)
        threading.Thread(target=self.ephoto_server.serve_forever, name="ephoto", daemon=True).start()
        self._spawn("moto", ["-m", "chalicelib.local.processes", self.host, str(self.aws_port)], dict(os.environ))
        wait_http(f"{self.aws_url}/moto-api/")

        from chalicelib.local.provision import provision

        provisioned = provision("local", self.web_url, endpoint_url=self.aws_url)
        # The authorizer fetches the user pool's public keys from moto, as it would from Cognito.
        pool_id = provisioned[CATALOGUE.user_pool("users").env_id]
        provisioned["COGNITO_JWKS_URL"] = f"{self.aws_url}/{pool_id}/.well-known/jwks.json"
        os.environ.update(provisioned)
        env = dict(os.environ)
        # For the operator commands (python -m chalicelib.local.dlq) run beside the stack.
        STACK_ENV_FILE.parent.mkdir(parents=True, exist_ok=True)
        STACK_ENV_FILE.write_text(json.dumps({**local_aws_environment(self.aws_url), **provisioned}, indent=1))
        self._spawn("pump", ["-m", "chalicelib.local.pump"], env)
        self._spawn("api", ["-m", "chalicelib.local.api_server", "--host", self.host, "--port", str(self.api_port)], env)

        from chalicelib.local.web_server import build_web_server

        self.web_server = build_web_server(self.host, self.web_port, self.api_url, self.aws_url)
        threading.Thread(target=self.web_server.serve_forever, name="web", daemon=True).start()
        wait_http(f"{self.api_url}/health")
        if self.demo_data:
            self._load_demo_data()

    def _load_demo_data(self) -> None:
        from chalicelib.adapters import wiring
        from chalicelib.local import demo_data

        demo_data.load(wiring.accounts(), wiring.demo_repository())

    def stop(self) -> None:
        for server in (self.web_server, self.ephoto_server):
            if server is not None:
                server.shutdown()
                server.server_close()
        for _, process in reversed(self.children):
            if process.poll() is None:
                process.terminate()
        STACK_ENV_FILE.unlink(missing_ok=True)
        for _, process in reversed(self.children):
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def dead_child(self) -> str | None:
        return next((name for name, process in self.children if process.poll() is not None), None)

    def banner(self) -> str:
        from chalicelib.local.demo_data import DEMO_DOMAIN, DEMO_LOGINS, DEMO_PASSWORD, FREE_AGREMENT, REGISTRY_SIZE

        lines = [
            "",
            "Permis en ligne est prêt.",
            f"  Pages web     {self.web_url}/",
            f"  API           {self.api_url}/health   (description : {self.api_url}/openapi.json)",
            f"  Courriels     {self.web_url}/boite-mail.html   (les courriels et SMS envoyés par l'application ;"
            " en ligne de commande : python -m chalicelib.cli.messages)",
            f"  AWS local     {self.aws_url}   (moto)",
            f"  ePhoto        {self.ephoto_url}/ephoto/<code>/photo   (opérateur ePhoto simulé : une photo et une "
            "signature pour tout code ; INCONNU… : code inconnu, PANNE… : service en panne)",
            f"  FranceConnect {self.web_url}/connexion.html, « S'identifier avec FranceConnect »   (FranceConnect "
            "simulé, servi par moto avec les pages OAuth de Cognito : on y choisit une identité de démonstration)",
            f"  Journaux      {LOG_DIR}/ (moto.log, api.log, pump.log)",
        ]
        if self.demo_data:
            lines.append(f"  Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :")
            lines += [f"    {login.role:<18} {login.email}" for login in DEMO_LOGINS]
            lines.append("    (les agents configurent d'abord la double authentification : localement, "
                         "tout code à 6 chiffres est accepté)")
            lines.append(f"  Registre : {REGISTRY_SIZE} agréments du Rhône ; pour créer votre auto-école, "
                         f"prenez par exemple {FREE_AGREMENT}.")
            lines.append(f"  Instruction en ligne de commande : bin/permis-agent --api {self.api_url} connexion "
                         f"--email instructeur-ddt@{DEMO_DOMAIN}")
        lines += ["Ctrl-C arrête tout ce qui a été lancé ici.", ""]
        return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = FrenchParser(description="Lance Permis en ligne sur l'AWS local embarqué (moto).")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--aws-port", type=int, default=int(os.environ.get("AWS_PORT", "5100")))
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("API_PORT", "8000")))
    parser.add_argument("--web-port", type=int, default=int(os.environ.get("WEB_PORT", "8001")))
    parser.add_argument("--ephoto-port", type=int, default=int(os.environ.get("EPHOTO_PORT", "8002")))
    parser.add_argument("--no-demo-data", action="store_true", help="ne pas charger les données de démonstration")
    args = parser.parse_args(argv)

    from chalicelib.local.processes import PortTaken

    stack = Stack(args.host, args.aws_port, args.api_port, args.web_port, demo_data=not args.no_demo_data,
                  ephoto_port=args.ephoto_port)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    try:
        stack.start()
        print(stack.banner(), flush=True)
        while not stopping.wait(0.5):
            dead = stack.dead_child()
            if dead:
                print(f"Le processus « {dead} » s'est arrêté : voyez {LOG_DIR / (dead + '.log')}. Arrêt.",
                      file=sys.stderr, flush=True)
                return 1
        return 0
    except PortTaken as taken:
        print(taken, file=sys.stderr)
        return 2
    except TimeoutError as late:
        print(f"Le démarrage n'a pas abouti : {late}. Voyez les journaux dans {LOG_DIR}.", file=sys.stderr)
        return 1
    finally:
        stack.stop()
        print("Arrêté.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
