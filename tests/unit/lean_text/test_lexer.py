from prover.lean.lexer import TokenKind, code_tokens, tokenize


def kinds(text: str) -> list[tuple[TokenKind, str]]:
    return [(t.kind, t.text) for t in tokenize(text)]


def test_nested_block_comment_is_one_token() -> None:
    text = "a /- outer /- inner -/ still comment -/ b"
    assert [t.text for t in code_tokens(text)] == ["a", "b"]
    assert kinds(text)[1] == (TokenKind.block_comment, "/- outer /- inner -/ still comment -/")


def test_doc_comment_and_line_comment() -> None:
    text = "/-- doc with sorry -/\ntheorem x : True := trivial -- sorry here\n"
    toks = kinds(text)
    assert toks[0][0] is TokenKind.doc_comment
    assert toks[-1] == (TokenKind.line_comment, "-- sorry here")
    assert "sorry" not in [t.text for t in code_tokens(text)]


def test_strings_hide_comment_markers_and_escapes() -> None:
    text = 'def s := "a -- b /- c \\" d" ++ x'
    toks = code_tokens(text)
    assert [t.kind for t in toks][3] is TokenKind.string
    assert toks[3].text == '"a -- b /- c \\" d"'
    assert toks[-1].text == "x"


def test_unicode_identifiers_and_symbols() -> None:
    text = "h₀ : ∀ x : ℝ, x' ≤ √2 ∧ α.β_γ ≠ sorry_free"
    texts = [t.text for t in code_tokens(text)]
    assert texts == ["h₀", ":", "∀", "x", ":", "ℝ", ",", "x'", "≤", "√", "2", "∧", "α.β_γ", "≠", "sorry_free"]


def test_longest_symbol_match_and_field_index() -> None:
    assert [t.text for t in code_tokens("a:=b <;> h.1 ⁻¹")] == ["a", ":=", "b", "<;>", "h", ".", "1", "⁻¹"]


def test_unterminated_comment_and_string_run_to_end() -> None:
    assert kinds("x /- never closed")[-1][0] is TokenKind.block_comment
    assert kinds('x "never closed')[-1] == (TokenKind.string, '"never closed')


def test_hash_commands_are_single_tokens() -> None:
    assert [t.text for t in code_tokens("#eval 1\n#print axioms foo")] == [
        "#eval",
        "1",
        "#print",
        "axioms",
        "foo",
    ]


def test_offsets_cover_the_text() -> None:
    text = "theorem t (h₁ : 1 = 1) : True := by\n  trivial"
    for token in tokenize(text):
        assert text[token.start : token.end] == token.text
