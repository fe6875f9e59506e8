"""Case 2: the History Server, run as its Deployment runs it, lists case 1's application."""
from conftest import HISTORY_LIST_BOUND


def test_history_server_lists_completed_application(event_log_app, history_server):
    app = history_server.wait_for_completed(event_log_app["app_id"], None, HISTORY_LIST_BOUND)
    assert app["name"] == event_log_app["name"]
    attempt = app["attempts"][0]
    assert attempt["completed"] is True
    assert attempt["duration"] > 0
