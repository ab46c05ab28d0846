"""Who a visitor is: whose runs and trainings are whose, and who is an operator.

- Signed in (when the deployer configures `st.login`, see the README): the account.
- Otherwise anonymous: an unguessable token that the browser keeps in a cookie, so that it survives a
  reload and a new tab, but is never part of a link (sharing a link gives nothing away). The registry
  holds only a hash of it.
- An operator (a teacher) sees and manages every run: a signed-in account listed under `operators`
  in the app's secrets, or any visitor who enters the secret `operator_key` (see the README).
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import streamlit as st

COOKIE = "mlcore_visitor"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
COOKIE_DAYS = 365


@dataclass(frozen=True)
class Visitor:
    owner: str          # the key of their runs and trainings
    operator: bool      # sees and manages every run
    label: str          # how the pages name them


def secret(name: str, default=None):
    """A value of the app's secrets (.streamlit/secrets.toml), or `default` when there are none."""
    try:
        return st.secrets.get(name, default)
    except FileNotFoundError:
        return default


def current() -> Visitor:
    """This session's visitor."""
    operator = bool(st.session_state.get("operator_signed_in"))
    if st.user.get("is_logged_in"):
        account = st.user.get("email") or st.user.get("sub")
        operators = secret("operators", []) or []
        return Visitor(f"user:{account}", operator or account in operators, str(account))
    return Visitor(anonymous_owner(_browser_token()), operator, "you (this browser)")


def anonymous_owner(token: str) -> str:
    """The owner key of an anonymous browser's token: a hash, so that the registry never holds a token."""
    return "anon:" + hashlib.sha256(token.encode()).hexdigest()[:24]


def _browser_token() -> str:
    token = st.session_state.get("visitor_token")
    if token is None:
        cookie = st.context.cookies.get(COOKIE)
        token = cookie if isinstance(cookie, str) and TOKEN.match(cookie) else secrets.token_urlsafe(24)
        st.session_state["visitor_token"] = token
    return token


def remember_browser() -> None:
    """Keep an anonymous visitor's token in their browser, until it comes back with their requests."""
    if st.user.get("is_logged_in"):
        return
    token = _browser_token()
    if st.context.cookies.get(COOKIE) != token:
        # SameSite=Strict: the cookie never travels with a request that another site starts.
        st.html(f"<script>document.cookie = '{COOKIE}={token}; Max-Age={COOKIE_DAYS * 86400}; Path=/; "
                "SameSite=Strict';</script>", unsafe_allow_javascript=True)


def operator_sign_in() -> None:
    """A field for the operator's secret, when one is configured; shows whether this session is one."""
    key = secret("operator_key")
    if not key or current().operator:
        return
    with st.expander("Operator (teacher) sign-in"):
        entered = st.text_input("Operator key", type="password", key="operator_key_entered")
        if entered and hmac.compare_digest(entered.encode(), str(key).encode()):
            st.session_state["operator_signed_in"] = True
            st.rerun()
        elif entered:
            st.error("That is not the operator key.")
