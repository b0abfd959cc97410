"""Questionnaires' pages under /questionnaires: managers draft and open them, firms answer in the portal,
officers enter paper answers, staff read the results and export them."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.auth.models import Role
from tracker.campaigns.models import Campaign
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.forms import EmptyForm, db_int, error_summary
from tracker.offices.models import Office
from tracker.permissions import SIGNED_IN, STAFF, allow, load_or_404
from tracker.questionnaires import queries, services
from tracker.questionnaires.export import results_workbook
from tracker.questionnaires.forms import MoveForm, QuestionForm, QuestionnaireForm, answer_form, field_name
from tracker.questionnaires.models import Question, QuestionKind, Questionnaire, Response, ResponseChannel
from tracker.views import form_status, run_change

bp = Blueprint("questionnaires", __name__)
MANAGERS = (Role.MANAGER, Role.ADMIN)


def _questionnaire(questionnaire_id: int, check=services.can_see_questionnaire, lock: bool = False) -> Questionnaire:
    """The questionnaire with its questions and options; 404 outside the user's scope (never a 403 that would
    tell another office's questionnaire apart from none)."""
    return load_or_404(Questionnaire, questionnaire_id, check, hide=True, lock=lock,
                       options=queries.load_questions(questionnaire_id))


def managed(user, questionnaire) -> bool:
    return services.can_see_questionnaire(user, questionnaire) and services.can_manage(user, questionnaire)


def _question(questionnaire: Questionnaire, question_id: int) -> Question:
    return load_or_404(Question, question_id, within=Question.questionnaire_id == questionnaire.id)


def _detail(questionnaire: Questionnaire):
    return redirect(url_for("questionnaires.detail", questionnaire_id=questionnaire.id))


@bp.route("/")
@allow(*STAFF)
def index():
    page = queries.questionnaire_page(current_user, request.args.get("page", 1, type=db_int))
    return render_template("questionnaires/index.html", pagination=page)


# The questionnaire itself -------------------------------------------------------------------------------
def _data(form: QuestionnaireForm) -> services.QuestionnaireData:
    office = db.session.get(Office, form.office_id.data)
    from tracker.briefings.models import Briefing

    campaign = db.session.get(Campaign, form.campaign_id.data) if form.campaign_id.data else None
    briefing = db.session.get(Briefing, form.briefing_id.data) if form.briefing_id.data else None
    if office is None:  # the choices are the user's scope: the form refused anything else
        abort(400)
    return services.QuestionnaireData(title=form.title.data, intro=form.intro.data, office=office,
                                      campaign=campaign, briefing=briefing)


@bp.route("/new", methods=["GET", "POST"])
@allow(*MANAGERS)
def new():
    form = QuestionnaireForm(current_user)
    del form.version
    if request.method == "GET":
        form.office_id.data = current_user.office_id
    if form.validate_on_submit():
        change = run_change(lambda: services.create_questionnaire(_data(form), by=current_user),
                            _("The questionnaire has been created as a draft; add its questions."),
                            form=form, field="title", submission=form.submission_key.data,
                            created_url=lambda q: url_for("questionnaires.detail", questionnaire_id=q.id))
        if change.ok:
            return _detail(change.result)
        if change.duplicate:
            return redirect(change.url or url_for("questionnaires.index"))
    return render_template("questionnaires/form.html", form=form, questionnaire=None), \
        400 if form.errors else 200


@bp.route("/<int:questionnaire_id>/edit", methods=["GET", "POST"])
@allow(*MANAGERS)
def edit(questionnaire_id: int):
    questionnaire = _questionnaire(questionnaire_id, managed)
    form = QuestionnaireForm(current_user, obj=questionnaire)
    del form.submission_key
    if request.method == "GET":
        form.version.data = str(questionnaire.version_id)
    if form.validate_on_submit():
        change = run_change(lambda: services.update_questionnaire(questionnaire, _data(form), by=current_user),
                            _("Your changes have been saved."), form=form, field="title",
                            version=(questionnaire, form.version))
        if change.ok:
            return _detail(questionnaire)
    status = form_status(400 if form.errors else 200)
    return render_template("questionnaires/form.html", form=form, questionnaire=questionnaire), status


@bp.route("/<int:questionnaire_id>")
@allow(*STAFF)
def detail(questionnaire_id: int):
    return _detail_page(_questionnaire(questionnaire_id))


def _detail_page(questionnaire: Questionnaire, question_form: QuestionForm | None = None, status: int = 200):
    manages = services.can_manage(current_user, questionnaire)
    firms = queries.firms_without_answer(questionnaire, current_user) if questionnaire.is_open() else []
    return render_template(
        "questionnaires/detail.html", questionnaire=questionnaire, manages=manages, firms=firms,
        responses=queries.results_counts(questionnaire), successor=services.successor(questionnaire),
        question_form=question_form or QuestionForm(formdata=None), move_form=MoveForm(formdata=None),
        problems=questionnaire.opening_problems() if questionnaire.can_open() else []), status


# Questions ------------------------------------------------------------------------------------------------
@bp.route("/<int:questionnaire_id>/questions", methods=["POST"])
@allow(*MANAGERS)
def add_question(questionnaire_id: int):
    questionnaire = _questionnaire(questionnaire_id, managed, lock=True)
    form = QuestionForm()
    if not form.validate_on_submit():
        return _detail_page(questionnaire, question_form=form, status=400)
    change = run_change(
        lambda: services.add_question(questionnaire, kind=QuestionKind(form.kind.data), text=form.text.data,
                                      required=form.required.data, options=form.option_lines(), by=current_user),
        _("The question has been added."), form=form, field="options", submission=form.submission_key.data,
        created_url=lambda _q: url_for("questionnaires.detail", questionnaire_id=questionnaire.id))
    if change.error:
        db.session.expire_all()
        return _detail_page(_questionnaire(questionnaire_id), question_form=form, status=400)
    return _detail(questionnaire)


@bp.route("/<int:questionnaire_id>/questions/<int:question_id>/edit", methods=["GET", "POST"])
@allow(*MANAGERS)
def edit_question(questionnaire_id: int, question_id: int):
    questionnaire = _questionnaire(questionnaire_id, managed)
    question = _question(questionnaire, question_id)
    form = QuestionForm(obj=question)
    del form.submission_key
    if request.method == "GET":
        form.kind.data = question.kind.value
        form.options.data = "\n".join(o.text for o in question.options)
        form.version.data = str(questionnaire.version_id)
    if form.validate_on_submit():
        # The questionnaire's version: any change to it or its questions since the form was opened is "meanwhile".
        change = run_change(
            lambda: services.update_question(question, kind=QuestionKind(form.kind.data), text=form.text.data,
                                             required=form.required.data, options=form.option_lines(),
                                             by=current_user),
            _("The question has been saved."), form=form, field="options", version=(questionnaire, form.version),
            stale=_("Someone else changed this questionnaire after you opened the form. Review the current "
                    "questions and make your change again."))
        if change.ok:
            return _detail(questionnaire)
    status = form_status(400 if request.method == "POST" else 200)
    return render_template("questionnaires/question.html", form=form, questionnaire=questionnaire,
                           question=question), status


@bp.route("/<int:questionnaire_id>/questions/<int:question_id>/move", methods=["POST"])
@allow(*MANAGERS)
def move_question(questionnaire_id: int, question_id: int):
    questionnaire = _questionnaire(questionnaire_id, managed, lock=True)
    question = _question(questionnaire, question_id)
    form = MoveForm()
    if not form.validate_on_submit():
        flash(_("Nothing was changed: %(errors)s", errors=error_summary(form)), "danger")
        return _detail(questionnaire)
    step = -1 if form.direction.data == "up" else 1
    run_change(lambda: services.move_question(question, step, by=current_user))
    return _detail(questionnaire)


@bp.route("/<int:questionnaire_id>/questions/<int:question_id>/delete", methods=["POST"])
@allow(*MANAGERS)
def delete_question(questionnaire_id: int, question_id: int):
    questionnaire = _questionnaire(questionnaire_id, managed, lock=True)
    question = _question(questionnaire, question_id)
    if EmptyForm().validate_on_submit():
        run_change(lambda: services.remove_question(question, by=current_user), _("The question has been removed."))
    return _detail(questionnaire)


# Transitions ---------------------------------------------------------------------------------------------
def _transition(questionnaire_id: int, action, success: str):
    questionnaire = _questionnaire(questionnaire_id, managed, lock=True)
    if EmptyForm().validate_on_submit():
        change = run_change(lambda: action(questionnaire), success)
        if change.ok and isinstance(change.result, Questionnaire):
            return _detail(change.result)
    else:
        flash(_("The form has expired. Please submit it again."), "danger")
    return _detail(questionnaire)


@bp.route("/<int:questionnaire_id>/open", methods=["POST"])
@allow(*MANAGERS)
def open_for_answers(questionnaire_id: int):
    return _transition(questionnaire_id, lambda q: services.open_questionnaire(q, by=current_user),
                       _("The questionnaire is open: the firms can answer it."))


@bp.route("/<int:questionnaire_id>/close", methods=["POST"])
@allow(*MANAGERS)
def close(questionnaire_id: int):
    return _transition(questionnaire_id, lambda q: services.close_questionnaire(q, by=current_user),
                       _("The questionnaire is closed: it takes no more answers."))


@bp.route("/<int:questionnaire_id>/reopen", methods=["POST"])
@allow(*MANAGERS)
def reopen(questionnaire_id: int):
    return _transition(questionnaire_id, lambda q: services.reopen_questionnaire(q, by=current_user),
                       _("The questionnaire is open again."))


@bp.route("/<int:questionnaire_id>/draft", methods=["POST"])
@allow(*MANAGERS)
def return_to_draft(questionnaire_id: int):
    return _transition(questionnaire_id, lambda q: services.return_to_draft(q, by=current_user),
                       _("The questionnaire is a draft again: its questions can be changed."))


@bp.route("/<int:questionnaire_id>/new-version", methods=["POST"])
@allow(*MANAGERS)
def new_version(questionnaire_id: int):
    return _transition(questionnaire_id, lambda q: services.new_version(q, by=current_user),
                       _("A new version has been made as a draft; the old one keeps its answers."))


# Results ----------------------------------------------------------------------------------------------------
@bp.route("/<int:questionnaire_id>/results")
@allow(*STAFF)
def results(questionnaire_id: int):
    questionnaire = _questionnaire(questionnaire_id)
    return render_template("questionnaires/results.html", questionnaire=questionnaire,
                           results=queries.results(questionnaire))


@bp.route("/<int:questionnaire_id>/results.xlsx")
@allow(*STAFF)
def export(questionnaire_id: int):
    questionnaire = _questionnaire(questionnaire_id)
    return results_workbook(questionnaire, queries.results(questionnaire),
                            queries.responses_with_answers(questionnaire, current_user))


# Answers ----------------------------------------------------------------------------------------------------
def _answer_page(template: str, questionnaire: Questionnaire, form, status: int = 200, **context):
    return render_template(template, questionnaire=questionnaire, form=form, field_name=field_name,
                           **context), status


def _submit(questionnaire: Questionnaire, enterprise: Enterprise, form, channel: ResponseChannel):
    """Send the answers: one response per firm (the database decides between two at once)."""
    change = run_change(
        lambda: services.submit_response(questionnaire, enterprise, form.answers(), by=current_user,
                                         channel=channel),
        _("Thank you: the answers have been recorded.") if channel is ResponseChannel.PORTAL
        else _("The paper answers of %(firm)s have been recorded.", firm=enterprise.name),
        submission=form.submission_key.data,
        created_url=lambda response: url_for("questionnaires.response", response_id=response.id))
    if change.ok:
        return redirect(url_for("questionnaires.response", response_id=change.result.id))
    # A resent form, or another answer that came first: the firm's response is what there is to see.
    existing = services.response_of(questionnaire, enterprise.id)
    if existing is not None:
        return redirect(url_for("questionnaires.response", response_id=existing.id))
    if change.duplicate:
        return redirect(change.url or url_for("questionnaires.detail", questionnaire_id=questionnaire.id)
                        if channel is ResponseChannel.PAPER else url_for("portal.index"))
    return None


def _contact_may_open(user, questionnaire: Questionnaire) -> bool:
    """A contact reaches a questionnaire his firm is asked (once opened) or has answered; anything else is a 404."""
    if user.enterprise_id is None:
        return False
    if services.response_of(questionnaire, user.enterprise_id) is not None:
        return True
    return not questionnaire.can_edit() and services.firm_may_answer(user.enterprise_id, questionnaire)


@bp.route("/<int:questionnaire_id>/answer", methods=["GET", "POST"])
@allow(Role.ENTERPRISE_CONTACT)
def answer(questionnaire_id: int):
    # The firm comes from the account, never from the URL.
    questionnaire = _questionnaire(questionnaire_id, _contact_may_open)
    enterprise = current_user.enterprise
    existing = services.response_of(questionnaire, enterprise.id)
    if existing is not None:
        if request.method == "POST":
            flash(services.already_answered_message(current_user, enterprise), "info")
        return redirect(url_for("questionnaires.response", response_id=existing.id))
    form = answer_form(questionnaire)
    if not questionnaire.is_open():
        if request.method == "POST":
            flash(_("This questionnaire is not open for answers."), "warning")
        return _answer_page("questionnaires/answer.html", questionnaire, form, closed=True)
    if form.validate_on_submit():
        sent = _submit(questionnaire, enterprise, form, ResponseChannel.PORTAL)
        if sent is not None:
            return sent
    return _answer_page("questionnaires/answer.html", questionnaire, form,
                        400 if request.method == "POST" else 200, closed=False)


@bp.route("/<int:questionnaire_id>/paper/<int:enterprise_id>", methods=["GET", "POST"])
@allow(*STAFF)
def paper(questionnaire_id: int, enterprise_id: int):
    questionnaire = _questionnaire(questionnaire_id)
    enterprise = load_or_404(Enterprise, enterprise_id,
                             lambda user, firm: services.can_enter_paper(user, questionnaire, firm), hide=True)
    existing = services.response_of(questionnaire, enterprise.id)
    if existing is not None:
        flash(services.already_answered_message(current_user, enterprise), "info")
        return redirect(url_for("questionnaires.response", response_id=existing.id))
    if not questionnaire.is_open():
        flash(_("This questionnaire is not open for answers."), "warning")
        return _detail(questionnaire)
    form = answer_form(questionnaire)
    if form.validate_on_submit():
        sent = _submit(questionnaire, enterprise, form, ResponseChannel.PAPER)
        if sent is not None:
            return sent
    return _answer_page("questionnaires/paper.html", questionnaire, form,
                        400 if request.method == "POST" else 200, enterprise=enterprise)


@bp.route("/responses/<int:response_id>")
@allow(SIGNED_IN)
def response(response_id: int):
    item = load_or_404(Response, response_id, services.can_read_response, hide=True)
    questionnaire = _questionnaire(item.questionnaire_id, lambda user, q: True)
    return render_template("questionnaires/response.html", response=item, questionnaire=questionnaire,
                           answers={a.question_id: a for a in item.answers})


@bp.app_template_global("briefing_questionnaires")
def briefing_questionnaires(briefing):
    """For the briefing's pages (tracker/templates/questionnaires/_briefing.html)."""
    return queries.for_briefing(briefing.id, current_user)


@bp.app_template_global("may_answer")
def may_answer(questionnaire) -> bool:
    return services.can_answer(current_user, questionnaire)
