"""A resident's message is normalised and tokenised once, whichever answerers look at it:
ごみ分別 (by similarity) and the FAQ share its terms."""

from intake.questions import text
from intake.questions.gomi import gomi_lookup
from intake.questions.loaders import demo_faq_index, demo_gomi_index


def test_gomi_and_the_faq_tokenise_a_message_once():
    faq, gomi = demo_faq_index(), demo_gomi_index()
    message = "古い扇風機の捨て方を教えてください"
    gomi_lookup(message, gomi)  # build both indexes (their entries are tokenised too)
    faq.decide(message, language="ja")
    text.clear_caches()
    before = text._japanese_terms.cache_info().misses
    gomi_lookup(message, gomi)
    faq.decide(message, language="ja")
    assert text._japanese_terms.cache_info().misses - before == 1
