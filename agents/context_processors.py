from agents.roles import ADMIN, SUPERVISOR, user_roles


def roles(request) -> dict:
    held = user_roles(getattr(request, "user", None)) if hasattr(request, "user") else set()
    return {"user_roles": held, "can_supervise": bool(held & {SUPERVISOR, ADMIN})}
