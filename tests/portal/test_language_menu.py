"""The language menu names each language in its own language and changes only on submit."""

import re


def test_language_menu_names_languages_in_their_own_language(client, db):
    page = client.get("/accounts/login/").content.decode()
    menu = page[page.index('id="language-select"') : page.index("</select>")]
    assert re.search(r'<option value="en" lang="en">English</option>', menu)
    assert re.search(r'<option value="ja" lang="ja" selected>日本語</option>', menu)
    assert "onchange" not in page  # WCAG 3.2.2: choosing an option does not navigate by itself
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"}, follow=True)
    assert '<html lang="en">' in response.content.decode()
