"""The domain error every feature raises for a transition or edit its current state does not allow."""


class DomainError(ValueError):
    """A transition or edit that the current state does not allow; the message is shown to the user."""
