"""A questionnaire's results as an Excel workbook: a summary sheet (each question's distribution) and a sheet
of every response (one row per firm, one column per question). Every cell through exports.safe_cell."""
import tempfile

from flask import send_file
from flask_babel import gettext as _

from tracker.exports import safe_cell
from tracker.i18n import LOCAL_TZ
from tracker.questionnaires.models import QuestionKind, Questionnaire, Response
from tracker.questionnaires.queries import Results

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _row(values) -> list:
    return [safe_cell(v) for v in values]


def answer_value(question, answer):
    """A response's answer to a question as a cell: the options chosen (joined), the rating, or the text."""
    if answer is None:
        return None
    if question.kind.has_options:
        return "；".join(o.text for o in answer.options)
    if question.kind is QuestionKind.RATING:
        return answer.rating
    return answer.text


def results_workbook(questionnaire: Questionnaire, results: Results, responses: list[Response]):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet(title=_("Summary of the results")[:31])
    summary.append(_row([questionnaire.title]))
    summary.append(_row([_("Responses"), results.total]))
    summary.append(_row([_("Through the portal"), results.portal]))
    summary.append(_row([_("On paper"), results.paper]))
    for result in results.questions:
        summary.append([])
        number = results.questions.index(result) + 1
        summary.append(_row([_("%(n)d. %(question)s", n=number, question=result.question.text),
                             result.question.kind.label]))
        summary.append(_row([_("Firms that answered"), result.answered]))
        if result.table is not None:
            summary.append(_row(result.table.columns))
            for row in result.table.rows:
                summary.append(_row([row.label] + [round(v, 4) if isinstance(v, float) else v for v in row.values]))
            if result.mean is not None:
                summary.append(_row([_("Mean rating"), round(result.mean, 2)]))
        else:
            summary.append(_row([_("Enterprise"), _("Answer given")]))
            for firm, text in result.texts:
                summary.append(_row([firm, text]))

    sheet = workbook.create_sheet(title=_("Responses")[:31])
    questions = questionnaire.questions
    sheet.append(_row([_("Enterprise"), _("Unified social credit code"), _("Channel"), _("Submitted at")]
                      + [_("%(n)d. %(question)s", n=n, question=q.text) for n, q in enumerate(questions, 1)]))
    for response in responses:
        by_question = {a.question_id: a for a in response.answers}
        sheet.append(_row([response.enterprise.name, response.enterprise.uscc, response.channel.label,
                           response.submitted_at.astimezone(LOCAL_TZ)]
                          + [answer_value(q, by_question.get(q.id)) for q in questions]))
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(spool)
    spool.seek(0)
    return send_file(spool, as_attachment=True, download_name=_("questionnaire-%(id)d-results.xlsx",
                                                                  id=questionnaire.id),
                     mimetype=XLSX_MIMETYPE)
