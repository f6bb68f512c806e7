"""The survey templates and the policy the desk ships (issue 11, DOMAIN.md §5).

The seeds give the content, not the wording: the restaurant card asks about the product, the
environment, the staff's service, the price and for suggestions; quality service is judged on its
content (服务的内容) and its process (服务的过程); and feedback has two barriers, doubt that it
changes anything and the cost of filling in forms. So each template keeps to about six questions,
states what will be done with the answers ("您提供的宝贵意见，如果能代表多数人意见的话，我们会…"),
and offers no gift (gifts and prize draws bias the answers).

Plain data with no model imports: the data migration (0002_default_templates) passes its
historical models to `seed_defaults`, so an older migration never runs against newer models.
Seeding is idempotent by key and never touches a template an administrator already has.
"""

# The aims, kinds and standards as their stored values (surveys.models.Aim, Kind, Standard).
SATISFACTION, WANTS, APPRECIATES, COMPLAINTS, SUGGESTIONS = (
    "satisfaction",
    "wants",
    "appreciates",
    "complaints",
    "suggestions",
)
RATING, NPS, CHOICE, TEXT = "rating", "nps", "choice", "text"

EXPECTATION = [
    {"value": "better", "en": "Better than I expected", "zh": "比预期的好"},
    {"value": "as_expected", "en": "As I expected", "zh": "与预期一样"},
    {"value": "worse", "en": "Worse than I expected", "zh": "比预期的差"},
]

# The restaurant card's five things, and the content and the process of the service.
ASPECTS = [
    {"value": "product", "en": "The product", "zh": "产品"},
    {"value": "environment", "en": "The environment", "zh": "环境"},
    {"value": "staff", "en": "The staff's service", "zh": "员工的服务"},
    {"value": "price", "en": "The price", "zh": "价格"},
    {"value": "content", "en": "What the service did for me", "zh": "服务的内容"},
    {"value": "process", "en": "How the service went, step by step", "zh": "服务的过程"},
]

SOLVED = [
    {"value": "yes", "en": "Yes, fully", "zh": "完全解决了"},
    {"value": "partly", "en": "Partly", "zh": "部分解决了"},
    {"value": "no", "en": "No", "zh": "没有解决"},
]

KEPT = [
    {"value": "yes", "en": "Yes", "zh": "兑现了"},
    {"value": "partly", "en": "Some of them", "zh": "部分兑现"},
    {"value": "no", "en": "No", "zh": "没有兑现"},
]

NPS_QUESTION = {
    "kind": NPS,
    "aim": SATISFACTION,
    "en": "How likely are you to recommend us to a friend or colleague?",
    "zh": "您向朋友或同事推荐我们的可能性有多大？",
}

SUGGESTION_QUESTION = {
    "kind": TEXT,
    "aim": SUGGESTIONS,
    "required": False,
    "en": "What should we do to improve our service?",
    "zh": "对于改进我们的服务，您有什么建议？",
}


def _commitment(en_will: str, zh_will: str) -> dict:
    return {
        "commitment_en": (
            "Your opinion is valuable to us. If it speaks for most of our customers, we will "
            f"{en_will}, and tell you what we changed."
        ),
        "commitment_zh": (
            f"您提供的宝贵意见，如果能代表多数人意见的话，我们会{zh_will}，并把改进的结果告诉您。"
        ),
    }


TEMPLATES = [
    {
        "key": "after-service",
        "purpose": "after_service",
        "is_active": True,
        "name_en": "After your service",
        "name_zh": "服务后满意度调查",
        "intro_en": "Thank you for choosing us. A few short questions, about two minutes.",
        "intro_zh": "感谢您选择我们。只有几个简短的问题，大约需要两分钟。",
        **_commitment("change the way we serve you", "改进我们的服务方式"),
        "questions": [
            {
                "kind": RATING,
                "aim": SATISFACTION,
                "is_main": True,
                "en": "Overall, how satisfied are you with this service?",
                "zh": "总的来说，您对这次服务满意吗？",
            },
            {
                "kind": CHOICE,
                "aim": SATISFACTION,
                "en": "Compared with what you expected, the service was…",
                "zh": "与您的预期相比，这次服务…",
                "choices": EXPECTATION,
            },
            {
                "kind": CHOICE,
                "aim": APPRECIATES,
                "en": "What did you like most?",
                "zh": "您最欣赏哪一方面？",
                "choices": ASPECTS,
            },
            {
                "kind": CHOICE,
                "aim": COMPLAINTS,
                "en": "What disappointed you most?",
                "zh": "您最不满意哪一方面？",
                "choices": [
                    *ASPECTS,
                    {"value": "nothing", "en": "Nothing", "zh": "没有不满意的"},
                ],
            },
            {
                "kind": TEXT,
                "aim": WANTS,
                "required": False,
                "en": "What did you really want from this service? Did you get it?",
                "zh": "您通过这次服务到底想得到什么？得到了吗？",
            },
            NPS_QUESTION,
            SUGGESTION_QUESTION,
        ],
    },
    {
        "key": "after-callback",
        "purpose": "after_callback",
        "is_active": True,
        "name_en": "After our call",
        "name_zh": "回访满意度调查",
        "intro_en": "We called you recently about your service. How did we do?",
        "intro_zh": "我们最近就您的服务给您做了回访。请告诉我们做得怎么样。",
        **_commitment("change how and when we call you", "改进回访的方式和时间"),
        "questions": [
            {
                "kind": RATING,
                "aim": SATISFACTION,
                "is_main": True,
                "en": "How satisfied are you with our call?",
                "zh": "您对这次回访满意吗？",
            },
            {
                "kind": CHOICE,
                "aim": COMPLAINTS,
                "en": "Is the problem you had solved now?",
                "zh": "您之前遇到的问题现在解决了吗？",
                "choices": [
                    *SOLVED,
                    {"value": "none", "en": "I had no problem", "zh": "我没有遇到问题"},
                ],
            },
            {
                "kind": CHOICE,
                "aim": WANTS,
                "en": "How would you rather we kept in touch?",
                "zh": "您希望我们以什么方式与您联系？",
                "choices": [
                    {
                        "value": "phone",
                        "en": "A phone call, like this one",
                        "zh": "像这次一样打电话",
                    },
                    {"value": "visit", "en": "A visit", "zh": "派专人上门"},
                    {"value": "message", "en": "A message or e-mail", "zh": "短信或电子邮件"},
                    {"value": "none", "en": "Only when I ask", "zh": "只在我需要时联系"},
                ],
            },
            {
                "kind": TEXT,
                "aim": APPRECIATES,
                "required": False,
                "en": "What did you appreciate in our service?",
                "zh": "您欣赏我们服务的哪些方面？",
            },
            NPS_QUESTION,
            SUGGESTION_QUESTION,
        ],
    },
    {
        "key": "complaint-recheck",
        "purpose": "complaint_recheck",
        "is_active": True,
        "name_en": "How we handled your complaint",
        "name_zh": "投诉处理回访",
        "intro_en": "You told us about a problem. We would like to know whether we put it right.",
        "intro_zh": "您曾向我们反映问题。我们想知道问题是否已经妥善解决。",
        **_commitment("change how we handle complaints", "改进我们处理投诉的方式"),
        "questions": [
            {
                "kind": RATING,
                "aim": SATISFACTION,
                "is_main": True,
                "en": "How satisfied are you with how we handled your complaint?",
                "zh": "您对我们处理这次投诉的结果满意吗？",
            },
            {
                "kind": CHOICE,
                "aim": COMPLAINTS,
                "en": "Is the problem solved now?",
                "zh": "问题现在解决了吗？",
                "choices": SOLVED,
            },
            {
                "kind": CHOICE,
                "aim": WANTS,
                "en": "Did we keep the promises we made to you?",
                "zh": "我们兑现了对您的承诺吗？",
                "choices": KEPT,
            },
            {
                "kind": CHOICE,
                "aim": APPRECIATES,
                "en": "Did our staff listen to you and treat you with respect?",
                "zh": "处理过程中，我们的员工是否认真倾听并尊重您？",
                "choices": KEPT[:1]
                + [
                    {"value": "partly", "en": "Not always", "zh": "不完全是"},
                    {"value": "no", "en": "No", "zh": "没有"},
                ],
            },
            NPS_QUESTION,
            SUGGESTION_QUESTION,
        ],
    },
    {
        # Optional: an administrator turns it on. Questions 2-7 carry the seeds' six standards
        # (优质服务的国际标准), so results can show the tangible-needs index (物化需求: 1, 5)
        # apart from the emotional-needs index (情感需求: 2, 3, 4, 6).
        "key": "service-quality",
        "purpose": "service_quality",
        "is_active": False,
        "name_en": "The quality of our service",
        "name_zh": "服务质量调查",
        "intro_en": "Please rate us on the six things that make a service good.",
        "intro_zh": "请就优质服务的六项标准为我们打分。",
        **_commitment("work first on the weakest of them", "首先改进得分最低的方面"),
        "questions": [
            {
                "kind": RATING,
                "aim": SATISFACTION,
                "is_main": True,
                "en": "Overall, how satisfied are you with the quality of our service?",
                "zh": "总的来说，您对我们的服务质量满意吗？",
            },
            {
                "kind": RATING,
                "aim": SATISFACTION,
                "standard": 1,
                "en": "Our staff worked to standard and had the skill the job needed.",
                "zh": "规范化和技能化：员工按规范操作，技能足以胜任。",
            },
            {
                "kind": RATING,
                "aim": APPRECIATES,
                "standard": 2,
                "en": "Our staff were friendly and took responsibility.",
                "zh": "态度与行为：员工态度友好，认真负责。",
            },
            {
                "kind": RATING,
                "aim": WANTS,
                "standard": 3,
                "en": "The place, the time and the procedure suited you.",
                "zh": "可亲近性和灵活性：服务的地点、时间和手续方便您。",
            },
            {
                "kind": RATING,
                "aim": SATISFACTION,
                "standard": 4,
                "en": "We kept our promises.",
                "zh": "可靠性和忠诚度：我们信守了承诺。",
            },
            {
                "kind": RATING,
                "aim": COMPLAINTS,
                "standard": 5,
                "en": "When something went wrong, we put it right.",
                "zh": "自我修复：出现问题时，我们及时纠正。",
            },
            {
                "kind": RATING,
                "aim": APPRECIATES,
                "standard": 6,
                "en": "We are trustworthy, and you got more than you paid for.",
                "zh": "名誉和可信性：我们值得信赖，您得到的超过您的付出。",
            },
        ],
    },
]

# The policy's own defaults are the model's (SurveyPolicy); the row only has to exist, so that
# an administrator edits one row rather than the code's fallback.
POLICY: dict = {}


def seed_defaults(SurveyTemplate, Question, SurveyPolicy) -> int:  # noqa: N803 - model classes
    """Add the shipped templates that are missing (by key) and the policy row if there is none.
    Returns how many templates were added; templates that exist are left as they are."""
    added = 0
    for spec in TEMPLATES:
        fields = {k: v for k, v in spec.items() if k not in ("key", "questions")}
        template, created = SurveyTemplate.objects.get_or_create(key=spec["key"], defaults=fields)
        if not created:
            continue
        added += 1
        Question.objects.bulk_create(
            Question(
                template=template,
                position=position,
                kind=q["kind"],
                aim=q["aim"],
                text_en=q["en"],
                text_zh=q["zh"],
                required=q.get("required", True),
                is_main=q.get("is_main", False),
                choices=q.get("choices", []),
                standard=q.get("standard"),
            )
            for position, q in enumerate(spec["questions"], start=1)
        )
    if not SurveyPolicy.objects.exists():
        SurveyPolicy.objects.create(**POLICY)
    return added
