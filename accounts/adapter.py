from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # Accounts are made by staff (staff, sponsor invitations) or from donor records;
        # nobody signs themselves up.
        return False
