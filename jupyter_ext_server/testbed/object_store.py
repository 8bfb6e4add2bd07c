"""A site's object store that checks who asks, as a real site's does.

moto in server mode speaks S3, IAM and STS and, once told to, refuses
unknown keys. Alone it is not a safe stand-in (checked on moto 5.2.6, which
pyproject pins because this module reaches into it):

- ``AssumeRoleWithWebIdentity`` never reads the web identity token, so any
  string would get keys; and with authentication on, the unsigned call every
  SDK makes crashes with a 500;
- temporary keys never expire;
- anonymous requests crash with a 500 instead of a 403;
- ``/moto-api/*`` needs no key and can turn authentication off or list every
  secret.

So this process runs moto's WSGI app behind ``StoreGuard``, which checks the
token against the issuer's keys (signature, issuer, audience, expiry, the
site's own role), re-signs the exchange with an internal broker key so moto's
own checks pass, refuses expired keys, anonymous requests and ``/moto-api``.

At start it makes, while moto still accepts anything: the site's data policy
(``s3:*`` on ``<site>-*`` buckets), a writer user holding it (the testbed
writes the datasets with its key, written to ``--writer-file``, 0600), the
broker and the role users assume. Then authentication is switched on.

    python -m jupyter_ext_server.testbed.object_store --port P --site lumi \\
        --issuer URL --audience AUD --writer-file PATH
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import threading
import urllib.parse
from collections.abc import Callable, Iterable

import jwt
import requests

ACCOUNT = "123456789012"
REGION = "eu-central-1"
#: Clock skew tolerated on signed requests (AWS allows 15 minutes).
SKEW_SECONDS = 900

StartResponse = Callable[..., object]


def role_arn(site: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{site}-data"


def _error(
    environ: dict, start_response: StartResponse, status: str, code: str, message: str
) -> Iterable[bytes]:
    """An S3/STS-style XML error (``Code`` and ``Message``, as SDKs parse them)."""
    body = (
        "<?xml version='1.0' encoding='UTF-8'?>"
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
        f"<Message>{message}</Message></Error></ErrorResponse>"
    ).encode()
    data = b"" if environ.get("REQUEST_METHOD") == "HEAD" else body
    start_response(
        status, [("Content-Type", "application/xml"), ("Content-Length", str(len(data)))]
    )
    return [data]


class StoreGuard:
    """WSGI middleware in front of moto (see the module's docstring)."""

    def __init__(self, app, *, issuer: str, audience: str, site: str, max_body: int = 1 << 16):
        self.app = app
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self.role = role_arn(site)
        self.max_body = max_body
        self._jwks: jwt.PyJWKClient | None = None
        self.broker = None  # botocore Credentials, set once bootstrapped
        self.enforcing = False

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/_health":
            status = "200 OK" if self.enforcing else "503 Service Unavailable"
            start_response(status, [("Content-Type", "text/plain")])
            return [b"ok" if self.enforcing else b"starting"]
        if not self.enforcing:
            return self.app(environ, start_response)
        if path.startswith("/moto-api"):
            return _error(environ, start_response, "404 Not Found", "NotFound", "Not here.")
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if not auth:
            # Unsigned: only the token exchange may be (presigned URLs are not offered here).
            form = self._form(environ)
            if form.get("Action") == ["AssumeRoleWithWebIdentity"]:
                return self._web_identity(environ, start_response, form)
            return _error(
                environ,
                start_response,
                "403 Forbidden",
                "AccessDenied",
                "Anonymous access is not allowed.",
            )
        refusal = self._stale_or_expired(environ, auth)
        if refusal:
            return _error(environ, start_response, *refusal)
        return self.app(environ, start_response)

    def _form(self, environ: dict) -> dict[str, list[str]]:
        """The urlencoded body of a POST (put back for moto), or nothing."""
        if environ.get("REQUEST_METHOD") != "POST":
            return {}
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return {}
        if not 0 < length <= self.max_body:
            return {}
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        return urllib.parse.parse_qs(body.decode("utf-8", "replace"))

    def _stale_or_expired(self, environ: dict, auth: str) -> tuple[str, str, str] | None:
        """moto checks neither the request's date nor when temporary keys end."""
        from moto.sts.models import sts_backends

        stamp = environ.get("HTTP_X_AMZ_DATE", "")
        try:
            when = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
        except ValueError:
            when = None
        if when and abs((dt.datetime.now(dt.timezone.utc) - when).total_seconds()) > SKEW_SECONDS:
            return ("403 Forbidden", "RequestTimeTooSkewed", "The request time is too far off.")
        if environ.get("HTTP_X_AMZ_SECURITY_TOKEN"):
            key_id = auth.partition("Credential=")[2].partition("/")[0]
            assumed = sts_backends[ACCOUNT]["aws"].get_assumed_role_from_access_key(key_id)
            now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)  # moto's naive UTC
            if assumed is not None and assumed.expiration <= now:
                return ("400 Bad Request", "ExpiredToken", "The provided token has expired.")
        return None

    def _jwks_client(self) -> jwt.PyJWKClient:
        if self._jwks is None:
            discovery = requests.get(
                f"{self.issuer}/.well-known/openid-configuration", timeout=5
            ).json()
            self._jwks = jwt.PyJWKClient(discovery["jwks_uri"], cache_keys=True, lifespan=300)
        return self._jwks

    def _web_identity(
        self, environ: dict, start_response: StartResponse, form: dict[str, list[str]]
    ) -> Iterable[bytes]:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        token = (form.get("WebIdentityToken") or [""])[0]
        try:
            claims = jwt.decode(
                token,
                key=self._jwks_client().get_signing_key_from_jwt(token),
                algorithms=["RS256", "ES256", "PS256"],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            return _error(
                environ,
                start_response,
                "400 Bad Request",
                "ExpiredTokenException",
                "Token expired.",
            )
        except (jwt.PyJWTError, requests.RequestException, KeyError, ValueError) as err:
            return _error(
                environ,
                start_response,
                "400 Bad Request",
                "InvalidIdentityToken",
                f"Invalid web identity token ({type(err).__name__}).",
            )
        if (form.get("RoleArn") or [""])[0] != self.role:
            return _error(
                environ,
                start_response,
                "403 Forbidden",
                "AccessDenied",
                "Not authorized to perform sts:AssumeRoleWithWebIdentity on this role.",
            )
        form = {**form, "RoleSessionName": [str(claims["sub"])[:64]]}
        form.pop("Policy", None)  # moto ignores session policies
        body = urllib.parse.urlencode(form, doseq=True).encode()
        host = environ.get("HTTP_HOST", "localhost")
        # The URL asked (path and query too): moto checks the signature against it.
        query = environ.get("QUERY_STRING", "")
        url = f"http://{host}{environ.get('PATH_INFO') or '/'}{'?' + query if query else ''}"
        signed = AWSRequest(method="POST", url=url, data=body, headers={"Host": host})
        SigV4Auth(self.broker, "sts", REGION).add_auth(signed)
        environ.update(
            HTTP_AUTHORIZATION=signed.headers["Authorization"],
            HTTP_X_AMZ_DATE=signed.headers["X-Amz-Date"],
            CONTENT_TYPE="application/x-www-form-urlencoded; charset=utf-8",
            CONTENT_LENGTH=str(len(body)),
        )
        environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)


def bootstrap(endpoint: str, site: str, issuer: str, audience: str) -> dict:
    """Make the site's policy, writer, broker and role (moto accepts anything until the end)."""
    import boto3

    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="bootstrap",
        aws_secret_access_key="bootstrap",
    )
    data_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{site}-*", f"arn:aws:s3:::{site}-*/*"],
            }
        ],
    }
    policy = iam.create_policy(PolicyName=f"{site}-data", PolicyDocument=json.dumps(data_policy))
    policy_arn = policy["Policy"]["Arn"]
    iam.create_user(UserName=f"{site}-writer")
    iam.attach_user_policy(UserName=f"{site}-writer", PolicyArn=policy_arn)
    writer = iam.create_access_key(UserName=f"{site}-writer")["AccessKey"]
    iam.create_user(UserName="sts-broker")
    iam.put_user_policy(
        UserName="sts-broker",
        PolicyName="assume",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity", "Resource": "*"}
                ],
            }
        ),
    )
    broker = iam.create_access_key(UserName="sts-broker")["AccessKey"]
    provider = iam.create_open_id_connect_provider(
        Url=issuer, ClientIDList=[audience], ThumbprintList=["0" * 40]
    )["OpenIDConnectProviderArn"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider},
                "Action": "sts:AssumeRoleWithWebIdentity",
            }
        ],
    }
    iam.create_role(RoleName=f"{site}-data", AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName=f"{site}-data", PolicyArn=policy_arn)
    return {"writer": writer, "broker": broker}


def write_private(path: str, document: dict) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(document, file)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--site", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--audience", required=True)
    parser.add_argument("--writer-file", required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "true")

    from botocore.credentials import Credentials
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    guard = StoreGuard(
        DomainDispatcherApplication(create_backend_app),
        issuer=args.issuer,
        audience=args.audience,
        site=args.site,
    )
    server = make_server(
        "127.0.0.1", args.port, guard, threaded=True, request_handler=MotoRequestHandler
    )
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    endpoint = f"http://127.0.0.1:{args.port}"
    made = bootstrap(endpoint, args.site, args.issuer, args.audience)
    guard.broker = Credentials(made["broker"]["AccessKeyId"], made["broker"]["SecretAccessKey"])
    write_private(
        args.writer_file,
        {"key": made["writer"]["AccessKeyId"], "secret": made["writer"]["SecretAccessKey"]},
    )
    # Authentication on from here (read on every call: moto/core/authorization.py).
    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    ActionAuthenticatorMixin.request_count = 0
    guard.enforcing = True
    print(f"{args.site} object store ready at {endpoint}; authentication enforced", flush=True)
    try:
        serving.join()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
