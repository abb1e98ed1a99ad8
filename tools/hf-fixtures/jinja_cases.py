#!/usr/bin/env python3
"""Expected renderings of Jinja features chat templates use, from Jinja2 itself configured as transformers configures
it for chat templates (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, its tojson and
raise_exception). Writes tests/Kimi.Actors.Model.Tests/Fixtures/jinja-cases.json; needs only jinja2.

    python3 tools/hf-fixtures/jinja_cases.py
"""
import json
import os

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "tests", "Kimi.Actors.Model.Tests", "Fixtures", "jinja-cases.json")

MESSAGES = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "  What is 2+2?  "},
    {"role": "assistant", "content": "<think>\nadd them\n</think>\n\n4", "tool_calls": [{"function": {"name": "add", "arguments": {"a": 2, "b": 2}}}]},
    {"role": "user", "content": "Thanks"},
]

CASES = [
    ("trim_blocks and lstrip_blocks", "{% for m in messages %}\n    {% if m.role == 'user' %}\n[{{ m.content }}]\n    {% endif %}\n{% endfor %}\nend", {}),
    ("minus trims all whitespace", "a  \n  {%- if true -%}  \n  b  \n {%- endif %}  c", {}),
    ("plus keeps the indent", "x\n    {%+ if true %}y{% endif %}\n", {}),
    ("comments", "a\n  {# note #}\nb{# inline #}c", {}),
    ("output tags are not block tags", "  {{ 'a' }}\n  {{- 'b' }}\n", {}),
    ("loop variables", "{% for m in messages %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.length }}:{{ loop.first }}{{ loop.last }} {% endfor %}", {}),
    ("nested loops and outer names", "{% for m in messages %}{% for c in m.role %}{% if loop.first %}{{ c }}{% endif %}{% endfor %}{% endfor %}", {}),
    ("set is local to a loop; namespace is not", "{% set x = 1 %}{% set ns = namespace(n=0) %}{% for m in messages %}{% set x = x + 1 %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ x }} {{ ns.n }}", {}),
    ("if elif else", "{% for i in [1, 2, 3] %}{% if i == 1 %}one{% elif i == 2 %}two{% else %}many{% endif %},{% endfor %}", {}),
    ("string methods", "{{ messages[1].content.strip() }}|{{ messages[2].content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}|{{ 'a,b,,c'.split(',') }}|{{ '  x y  '.split() }}|{{ 'Hi'.startswith('H') }}{{ 'Hi'.endswith(('x', 'i')) }}|{{ 'ab'.upper() }}{{ 'AB'.lower() }}|{{ 'a-b'.replace('-', '+') }}", {}),
    ("slices and negative indexes", "{{ messages[::-1][0].role }} {{ messages[-1].content }} {{ [1,2,3,4,5][1:4] }} {{ [1,2,3,4,5][::2] }} {{ 'hello'[1:3] }} {{ 'hello'[::-1] }} {{ [1,2,3][-2:] }}", {}),
    ("tests", "{{ x is defined }}{{ y is defined }}{{ x is string }}{{ n is number }}{{ n is integer }}{{ none is none }}{{ messages is iterable }}{{ messages[0] is mapping }}{{ x is not string }}{{ 3 is odd }}{{ 4 is even }}{{ 9 is divisibleby 3 }}{{ n is equalto 5 }}", {"x": "s", "n": 5}),
    ("filters", "{{ '  t  ' | trim }}|{{ messages | length }}|{{ 'abc' | upper }}|{{ messages | map(attribute='role') | join(', ') }}|{{ messages | selectattr('role', 'equalto', 'user') | list | length }}|{{ messages | rejectattr('role', 'equalto', 'user') | map(attribute='role') | first }}|{{ [3,1,2] | reverse | list }}|{{ undefined_name | default('d') }}|{{ '' | default('e', true) }}|{{ 'x' ~ 1 ~ none }}|{{ '7' | int + 1 }}|{{ [1,2,2,3] | unique | list }}|{{ -3 | abs }}", {}),
    ("tojson", "{{ messages[2].tool_calls[0].function.arguments | tojson }}|{{ {'k': [1, 2.5, 'é\"\\n', none, true]} | tojson }}|{{ {'b': 1, 'a': {'c': []}} | tojson(indent=2) }}|{{ 'x' | tojson }}", {}),
    ("python str of values", "{{ true }} {{ false }} {{ none }} {{ 1.0 }} {{ 2.5 }} {{ 7 // 2 }} {{ 7 / 2 }} {{ 7 % 3 }} {{ 2 ** 10 }} {{ [1, 'a'] }} {{ {'a': 1} }} {{ 1e-05 }}", {}),
    ("operators and precedence", "{{ 1 + 2 * 3 }} {{ 'a' + 'b' ~ 'c' }} {{ not true or true }} {{ 1 < 2 and 2 < 3 }} {{ 'ell' in 'hello' }} {{ 'x' not in ['y'] }} {{ 'role' in messages[0] }} {{ 'a' if false else 'b' }} {{ ('a' if false) ~ '|' }} {{ -2 + 5 }} {{ 'ab' * 3 }} {{ messages|length - 1 }}", {}),
    ("break and continue", "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i > 4 %}{% break %}{% endif %}{{ i }}{% endfor %}", {}),
    ("for with filter and else", "{% for m in messages if m.role == 'user' %}{{ loop.index }}{{ m.content | trim }};{% endfor %}{% for x in [] %}x{% else %}empty{% endfor %}", {}),
    ("dict iteration and unpacking", "{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}{% for k in {'x': 0} %}{{ k }}{% endfor %}{{ messages[0].get('role') }}{{ messages[0].get('nope', 'dflt') }}", {}),
    ("undefined attributes of messages", "{% for m in messages %}{% if m.tool_calls %}T{% else %}-{% endif %}{% for t in m.tool_calls %}{{ t.function.name }}{% endfor %}{% endfor %}{{ messages[0].nope is defined }}", {}),
    ("set block", "{% set greeting %}Hello {{ name }}!{% endset %}{{ greeting | upper }}", {"name": "you"}),
    ("loop.previtem and nextitem", "{% for i in [1, 2, 3] %}{% if loop.previtem is defined %}{{ loop.previtem }}<{% endif %}{{ i }}{% if loop.nextitem is defined %}<{{ loop.nextitem }}{% endif %} {% endfor %}", {}),
    ("raise_exception", "{% if messages[0].role != 'user' %}{{ raise_exception('Conversations must start with a user message') }}{% endif %}", {}),
]


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def main():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    out = []
    for name, template, variables in CASES:
        context = {"messages": MESSAGES, **variables}
        case = {"name": name, "template": template, "variables": variables}
        try:
            case["expected"] = env.from_string(template).render(**context)
        except jinja2.exceptions.TemplateError as e:
            case["error"] = str(e)
        out.append(case)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"jinja2_version": jinja2.__version__, "messages": MESSAGES, "cases": out}, f, ensure_ascii=False, indent=1)
    print(len(out), "cases ->", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
