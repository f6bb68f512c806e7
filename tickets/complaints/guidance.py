"""The method's guidance for each step, shown beside its form: the seed's own words (always in
Chinese, as the method was written) and how to apply them (in the page's language)."""

from django.utils.translation import gettext_lazy as _

GUIDANCE = {
    "respect": {
        "seed": "向对方表示尊重:可以用一些缓解情绪的话",
        "how": _(
            "Calm the customer first: thank them for telling you, apologise for the trouble, "
            "say you will write down what must be put right. Do not argue who is right; the aim "
            "is to solve the problem."
        ),
    },
    "listen": {
        "seed": "倾听对方谈话,理解对方——此人有何感受?此人想要什么?此人在想什么?",
        "how": _(
            "Let the customer finish. Note how they feel, what they want and what they think, "
            "then the facts: dates, people, products, what was promised."
        ),
    },
    "restate": {
        "seed": "重复对方的要求,表明自己理解对方的需要",
        "how": _(
            "Say the request back in your own words and ask whether that is it. If the customer "
            "says no, listen again."
        ),
    },
    "options": {
        "seed": "列出解决问题的办法或者各种可行方案",
        "how": _(
            "Offer what the desk can do, with its cost, who does it and by when, and let the "
            "customer choose. Refuse gently with “you can…” (你可以…): say what is possible "
            "instead of only no."
        ),
    },
    "act": {
        "seed": "采取行动,解决问题:记录下来,按期完成",
        "how": _(
            "Write each action down with the person responsible and a date, and keep it. If a "
            "date will slip, call the customer before it does: people would rather hear bad "
            "news than be kept in the dark."
        ),
    },
    "recheck": {
        "seed": "再检查一遍,确保令客户满意",
        "how": _(
            "The re-check visit asks whether the customer is now satisfied. Not satisfied: back "
            "to the options. Could not be reached after the visit's attempts: a manager closes "
            "the complaint with a reason."
        ),
    },
}
