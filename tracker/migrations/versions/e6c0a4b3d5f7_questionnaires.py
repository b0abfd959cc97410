"""Questionnaires (调查问卷): questionnaires attached to a campaign or a policy briefing, their questions and options, and the firms'
responses, one per firm (unique questionnaire_id, enterprise_id), with their answers and the options chosen

Revision ID: e6c0a4b3d5f7
Revises: d5b9f3a2c4e6
Create Date: 2026-12-04 14:22:38.082480

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e6c0a4b3d5f7'
down_revision = 'd5b9f3a2c4e6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('questionnaires',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), server_default='1', nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('intro', sa.Text(), nullable=True),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('briefing_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('draft', 'open', 'closed', name='status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('previous_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('campaign_id IS NOT NULL OR briefing_id IS NOT NULL', name=op.f('ck_questionnaires_attached')),
    sa.ForeignKeyConstraint(['briefing_id'], ['briefings.id'], name=op.f('fk_questionnaires_briefing_id_briefings'), ondelete='RESTRICT'),
    sa.CheckConstraint('version >= 1', name=op.f('ck_questionnaires_version_positive')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_questionnaires_campaign_id_campaigns'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_questionnaires_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_questionnaires_office_id_offices'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['previous_id'], ['questionnaires.id'], name=op.f('fk_questionnaires_previous_id_questionnaires'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaires')),
    sa.UniqueConstraint('previous_id', name='uq_questionnaires_previous_id')
    )
    with op.batch_alter_table('questionnaires', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaires_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_questionnaires_briefing_id'), ['briefing_id'], unique=False)
        batch_op.create_index('ix_questionnaires_office_status', ['office_id', 'status'], unique=False)

    op.create_table('questionnaire_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('single', 'multiple', 'rating', 'text', name='kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaires.id'], name=op.f('fk_questionnaire_questions_questionnaire_id_questionnaires'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_questions'))
    )
    with op.batch_alter_table('questionnaire_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_questions_questionnaire_id'), ['questionnaire_id'], unique=False)

    op.create_table('questionnaire_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('enterprise_id', sa.Integer(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.Enum('portal', 'paper', name='channel', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_questionnaire_responses_entered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_questionnaire_responses_enterprise_id_enterprises'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaires.id'], name=op.f('fk_questionnaire_responses_questionnaire_id_questionnaires'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_responses')),
    sa.UniqueConstraint('questionnaire_id', 'enterprise_id', name='uq_questionnaire_responses_firm')
    )
    with op.batch_alter_table('questionnaire_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_responses_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('questionnaire_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.CheckConstraint('rating IS NULL OR rating BETWEEN 1 AND 5', name=op.f('ck_questionnaire_answers_rating_range')),
    sa.ForeignKeyConstraint(['question_id'], ['questionnaire_questions.id'], name=op.f('fk_questionnaire_answers_question_id_questionnaire_questions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['response_id'], ['questionnaire_responses.id'], name=op.f('fk_questionnaire_answers_response_id_questionnaire_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_answers')),
    sa.UniqueConstraint('response_id', 'question_id', name='uq_questionnaire_answers_question')
    )
    with op.batch_alter_table('questionnaire_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_answers_question_id'), ['question_id'], unique=False)

    op.create_table('questionnaire_options',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['questionnaire_questions.id'], name=op.f('fk_questionnaire_options_question_id_questionnaire_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_options'))
    )
    with op.batch_alter_table('questionnaire_options', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_options_question_id'), ['question_id'], unique=False)

    op.create_table('questionnaire_answer_options',
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['answer_id'], ['questionnaire_answers.id'], name=op.f('fk_questionnaire_answer_options_answer_id_questionnaire_answers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['option_id'], ['questionnaire_options.id'], name=op.f('fk_questionnaire_answer_options_option_id_questionnaire_options'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('answer_id', 'option_id', name=op.f('pk_questionnaire_answer_options'))
    )
    with op.batch_alter_table('questionnaire_answer_options', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_answer_options_option_id'), ['option_id'], unique=False)



def downgrade():
    with op.batch_alter_table('questionnaire_answer_options', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_answer_options_option_id'))

    op.drop_table('questionnaire_answer_options')
    with op.batch_alter_table('questionnaire_options', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_options_question_id'))

    op.drop_table('questionnaire_options')
    with op.batch_alter_table('questionnaire_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_answers_question_id'))

    op.drop_table('questionnaire_answers')
    with op.batch_alter_table('questionnaire_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_responses_enterprise_id'))

    op.drop_table('questionnaire_responses')
    with op.batch_alter_table('questionnaire_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_questions_questionnaire_id'))

    op.drop_table('questionnaire_questions')
    with op.batch_alter_table('questionnaires', schema=None) as batch_op:
        batch_op.drop_index('ix_questionnaires_office_status')
        batch_op.drop_index(batch_op.f('ix_questionnaires_briefing_id'))
        batch_op.drop_index(batch_op.f('ix_questionnaires_campaign_id'))

    op.drop_table('questionnaires')
