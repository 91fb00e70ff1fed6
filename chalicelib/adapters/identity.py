"""Cognito reads the identity rules need."""
from __future__ import annotations

from typing import Any


class CognitoDirectory:
    def __init__(self, cognito_client: Any) -> None:
        self._cognito = cognito_client

    def has_mfa(self, user_pool_id: str, username: str) -> bool:
        user = self._cognito.admin_get_user(UserPoolId=user_pool_id, Username=username)
        return bool(user.get("UserMFASettingList"))
