"""/projects/<id>/rules/: a project's rules, for its organization's owners. Plain forms and
redirects; nothing here talks to a tracker except saving a rule, which checks its choices."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from config.http import HtmxHttpRequest
from integrations import identities, registry
from integrations.base import IssueTrackerPlugin
from integrations.exceptions import ApiError, InvalidInput
from integrations.rules import settings as rule_settings
from integrations.rules.forms import RegressionForm, RuleForm
from integrations.rules.models import Rule
from tracker.access import get_project_for_owner
from tracker.models import Project

HISTORY_LENGTH = 50


def get_rule_for_owner(request: HtmxHttpRequest, project_id: int, rule_id: int) -> Rule:
    project = get_project_for_owner(request, project_id)
    return get_object_or_404(
        Rule.objects.select_related("owner", "project"), pk=rule_id, project=project
    )


@login_required
@require_http_methods(["GET", "POST"])
def rule_list(request: HtmxHttpRequest, project_id: int) -> HttpResponse:
    project = get_project_for_owner(request, project_id)
    form = RegressionForm(
        request.POST if request.method == "POST" else None,
        initial={"reopen_on_regression": rule_settings.reopens(project)},
    )
    if request.method == "POST" and form.is_valid():
        rule_settings.set_reopens(project, form.cleaned_data["reopen_on_regression"], request.user)
        messages.success(request, "Regression setting saved.")
        return redirect("rule_list", project.pk)
    rules = project.rules.select_related("owner")
    context = {"project": project, "rules": rules, "regression_form": form}
    return render(request, "integrations/rules/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def rule_create(request: HtmxHttpRequest, project_id: int) -> HttpResponse:
    project = get_project_for_owner(request, project_id)
    return rule_form_page(request, project, Rule(project=project, plugin=default_plugin().slug))


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HtmxHttpRequest, project_id: int, rule_id: int) -> HttpResponse:
    rule = get_rule_for_owner(request, project_id, rule_id)
    return rule_form_page(request, rule.project, rule)


@login_required
@require_POST
def rule_delete(request: HtmxHttpRequest, project_id: int, rule_id: int) -> HttpResponse:
    rule = get_rule_for_owner(request, project_id, rule_id)
    rule.delete()
    messages.success(request, f"Rule “{rule.name}” deleted.")
    return redirect("rule_list", project_id)


@login_required
@require_POST
def rule_toggle(request: HtmxHttpRequest, project_id: int, rule_id: int) -> HttpResponse:
    rule = get_rule_for_owner(request, project_id, rule_id)
    rule.enabled = request.POST.get("enabled") == "on"
    rule.save(update_fields=["enabled", "date_updated"])
    messages.success(request, f"Rule “{rule.name}” {'enabled' if rule.enabled else 'disabled'}.")
    return redirect("rule_list", project_id)


def default_plugin() -> IssueTrackerPlugin:
    return registry.plugins()[0]


def rule_form_page(request: HtmxHttpRequest, project: Project, rule: Rule) -> HttpResponse:
    plugin = next(p for p in registry.plugins() if p.slug == rule.plugin)
    action_class = plugin.rule_action_form_class
    bound = request.method == "POST"
    form = RuleForm(request.POST if bound else None, instance=rule)
    action = (
        action_class(request.POST if bound else None, initial=rule.action, prefix="action")
        if action_class
        else None
    )
    error = ""
    if bound and form.is_valid() and (action is None or action.is_valid()):
        data = dict(action.cleaned_data) if action else {}
        error = check_action(request, project, plugin, action, data)
        if not error:
            rule = form.save(commit=False)
            rule.action, rule.paused_reason = data, ""
            rule.owner = request.user  # type: ignore[assignment]  # login_required: a User
            rule.save()
            messages.success(
                request, f"Rule “{rule.name}” saved. It acts as you in {plugin.title}."
            )
            return redirect("rule_list", project.pk)
    context: dict[str, Any] = {
        "project": project,
        "rule": rule,
        "plugin": plugin,
        "form": form,
        "action_form": action,
        "error": error,
        "firings": rule.firings.select_related("issue__project")[:HISTORY_LENGTH]
        if rule.pk
        else [],
    }
    return render(request, "integrations/rules/form.html", context, status=400 if bound else 200)


def check_action(
    request: HtmxHttpRequest,
    project: Project,
    plugin: IssueTrackerPlugin,
    action: Any,
    data: dict[str, Any],
) -> str:
    """Why the rule cannot be saved as it is ("" when it can): the saver's identity acts for
    the rule, the project must be set up, typed names must name something at the tracker."""
    identity = plugin.get_identity(request.user)
    if identity is None or identities.needs_reconnect(identity):
        return f"The rule acts as you in {plugin.title}: {plugin.error_auth_not_configured}"
    options = plugin.get_options(project)
    if not plugin.is_configured(options):
        return f"{plugin.title} is not set up for {project.name} yet: {plugin.setup_hint}"
    if action is None:
        return ""
    try:
        plugin.resolve_rule_action(identity, options, action, data)
    except InvalidInput as exc:
        return str(exc)
    except ApiError as exc:
        return f"Could not look that up in {plugin.title}: {plugin.message_from_error(exc)}"
    return ""
