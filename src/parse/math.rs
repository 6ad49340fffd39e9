//! TeX math → text: pandoc's "plain" math rendering (MANUAL, "Math rendering in HTML":
//! "render TeX math as far as possible using Unicode characters"), which both outputs
//! set as ordinary text.
//!
//! What it does, as texmath's plain writer does (jgm/texmath `Writers/…`, pandoc's
//! default for EPUB): variables (Latin and lowercase Greek letters) in italic, digits and
//! function names (`\sin`, `\log`) upright, `^`/`_` as superscripts and subscripts,
//! Greek letters and symbols as Unicode, `\mathbb{R}` as ℝ, `\mathbf` bold, `\text{…}`
//! upright with its spaces, U+2005 (four-per-em) around binary operators and U+2004
//! (three-per-em) around relations, U+2006 for `\,`. Beyond pandoc's plain writer,
//! `\frac{a}{b}` is written `a/b` (parenthesised when a side is more than one atom) and
//! `\sqrt{x}` `√x`. Anything it does not know (an unknown macro, an environment, `\\`)
//! makes the whole formula its TeX source, with the macros named for a warning.

use crate::model::Inline;

/// Deepest nesting of groups and arguments read (the input is the author's, and a
/// formula of ten thousand `{` must not overflow the stack).
const MAX_DEPTH: usize = 24;

/// Why a formula could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unrendered {
    /// The commands not known (`\foo`), or a description of the problem.
    pub unknown: Vec<String>,
}

/// A macro defined with `\newcommand{\name}[args]{body}` in the text (pandoc's
/// `latex_macros` extension: "LaTeX macro definitions … will be applied to LaTeX math").
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TexMacro {
    /// The name, without its backslash.
    pub name: String,
    /// How many arguments it takes (`#1` … `#9`).
    pub args: usize,
    /// What it stands for.
    pub body: String,
}

/// `tex` with the macros expanded (again in what they expand to, a few rounds deep; a
/// definition that grows without end stops growing at a bound).
fn expand<'t>(tex: &'t str, macros: &[TexMacro]) -> std::borrow::Cow<'t, str> {
    if macros.is_empty() || !tex.contains('\\') {
        return std::borrow::Cow::Borrowed(tex);
    }
    let limit = tex.len() * 16 + 4096;
    let mut current = tex.to_string();
    for _ in 0..8 {
        let mut out = String::with_capacity(current.len());
        let mut changed = false;
        let chars: Vec<char> = current.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == '\\' {
                let start = i + 1;
                let mut j = start;
                while j < chars.len() && chars[j].is_ascii_alphabetic() {
                    j += 1;
                }
                let name: String = chars[start..j].iter().collect();
                if let Some(m) = macros
                    .iter()
                    .rev()
                    .find(|m| m.name == name && !name.is_empty())
                {
                    let mut k = j;
                    let mut args: Vec<String> = Vec::new();
                    for _ in 0..m.args {
                        while k < chars.len() && chars[k].is_whitespace() {
                            k += 1;
                        }
                        match chars.get(k) {
                            Some('{') => {
                                let mut depth = 0usize;
                                let from = k + 1;
                                while k < chars.len() {
                                    match chars[k] {
                                        '{' => depth += 1,
                                        '}' => {
                                            depth -= 1;
                                            if depth == 0 {
                                                break;
                                            }
                                        }
                                        _ => {}
                                    }
                                    k += 1;
                                }
                                args.push(chars[from..k.min(chars.len())].iter().collect());
                                k += 1;
                            }
                            Some(c) => {
                                args.push(c.to_string());
                                k += 1;
                            }
                            None => args.push(String::new()),
                        }
                    }
                    let mut body = m.body.clone();
                    for (n, a) in args.iter().enumerate().rev() {
                        body = body.replace(&format!("#{}", n + 1), a);
                    }
                    out.push_str(&body);
                    // A command name ends at a non-letter: keep the next one apart.
                    if chars.get(k).is_some_and(|c| c.is_ascii_alphabetic()) {
                        out.push(' ');
                    }
                    i = k.min(chars.len());
                    changed = true;
                    continue;
                }
                out.push('\\');
                out.extend(&chars[start..j]);
                i = j.max(start);
                if i == start {
                    if let Some(&c) = chars.get(i) {
                        out.push(c);
                        i += 1;
                    }
                }
                continue;
            }
            out.push(chars[i]);
            i += 1;
        }
        current = out;
        if !changed || current.len() > limit {
            break;
        }
    }
    std::borrow::Cow::Owned(current)
}

/// `tex` rendered as inlines, the text's macros expanded first, or why not.
pub(crate) fn render_with(tex: &str, macros: &[TexMacro]) -> Result<Vec<Inline>, Unrendered> {
    render(&expand(tex, macros))
}

/// `tex` rendered as inlines, or why not.
pub(crate) fn render(tex: &str) -> Result<Vec<Inline>, Unrendered> {
    let mut p = Parser {
        chars: tex.chars().collect(),
        pos: 0,
        unknown: Vec::new(),
    };
    let atoms = p.sequence(0, None);
    if p.pos < p.chars.len() {
        p.unknown.push("an unbalanced `}`".into());
    }
    if !p.unknown.is_empty() {
        p.unknown.dedup();
        return Err(Unrendered { unknown: p.unknown });
    }
    let mut out = Vec::new();
    emit(&atoms, false, &mut out);
    Ok(out)
}

/// What an atom is, for spacing (TeX's atom classes, The TeXbook ch. 17–18).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Ord,
    /// A large operator or function name (`∑`, `sin`).
    Op,
    Bin,
    Rel,
    Open,
    Close,
    Punct,
    /// Explicit space.
    Space,
}

/// How a piece of text is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    Upright,
    Italic,
}

/// One atom: a nucleus and its scripts.
#[derive(Clone, Debug)]
struct Atom {
    class: Class,
    nucleus: Vec<Inline>,
    sup: Option<Vec<Inline>>,
    sub: Option<Vec<Inline>>,
}

impl Atom {
    fn new(class: Class, nucleus: Vec<Inline>) -> Atom {
        Atom {
            class,
            nucleus,
            sup: None,
            sub: None,
        }
    }
}

fn styled(text: &str, style: Style) -> Inline {
    let t = Inline::Text(text.to_string());
    match style {
        Style::Upright => t,
        Style::Italic => Inline::Emphasis(vec![t]),
    }
}

/// Pushes `inline`, joining it to the one before when both are text of one style.
fn push(out: &mut Vec<Inline>, inline: Inline) {
    match (out.last_mut(), inline) {
        (Some(Inline::Text(a)), Inline::Text(b)) => a.push_str(&b),
        (Some(Inline::Emphasis(a)), Inline::Emphasis(b)) => {
            for i in b {
                push(a, i);
            }
        }
        (Some(Inline::Strong(a)), Inline::Strong(b)) => {
            for i in b {
                push(a, i);
            }
        }
        (_, inline) => out.push(inline),
    }
}

/// The space TeX puts between two atoms (The TeXbook, ch. 18, the table of
/// inter-atom spacing, in display and text style; none in scripts, which are `tight`),
/// as pandoc's plain math writes it: U+2006 thin, U+2005 medium, U+2004 thick.
fn between(prev: Class, cur: Class, tight: bool) -> Option<&'static str> {
    use Class::*;
    if tight || prev == Space || cur == Space {
        return None;
    }
    match (prev, cur) {
        (Rel, Rel) | (Rel, Punct) | (Open, _) | (_, Close) | (_, Punct) => None,
        (Bin, _) | (_, Bin) => Some("\u{2005}"),
        (Rel, _) | (_, Rel) => Some("\u{2004}"),
        (Punct, _) | (Op, Ord | Op) | (Ord | Close, Op) => Some("\u{2006}"),
        _ => None,
    }
}

/// The atoms as inlines, spaced by class (`tight`: in a script, unspaced).
fn emit(atoms: &[Atom], tight: bool, out: &mut Vec<Inline>) {
    let mut prev: Option<Class> = None;
    for (i, atom) in atoms.iter().enumerate() {
        let mut class = atom.class;
        // A binary operator with nothing to its left, or after an operator, relation,
        // opening or punctuation, is unary (`-x`, `(-1)`); so is one with nothing to its
        // right (TeXbook ch. 18, rules 5 and 6).
        if class == Class::Bin
            && (i + 1 == atoms.len()
                || matches!(
                    prev,
                    None | Some(Class::Bin | Class::Rel | Class::Open | Class::Punct | Class::Op)
                ))
        {
            class = Class::Ord;
        }
        if let Some(p) = prev {
            if let Some(space) = between(p, class, tight) {
                push(out, Inline::Text(space.into()));
            }
        }
        for inline in &atom.nucleus {
            push(out, inline.clone());
        }
        if let Some(sub) = &atom.sub {
            out.push(Inline::Subscript(sub.clone()));
        }
        if let Some(sup) = &atom.sup {
            out.push(Inline::Superscript(sup.clone()));
        }
        prev = Some(class);
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    unknown: Vec<String>,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// Atoms up to the end, or up to the closing `}` of a group (consumed) when `until`.
    fn sequence(&mut self, depth: usize, until: Option<char>) -> Vec<Atom> {
        let mut atoms: Vec<Atom> = Vec::new();
        if depth > MAX_DEPTH {
            self.unknown.push("nesting too deep".into());
            self.pos = self.chars.len();
            return atoms;
        }
        loop {
            self.skip_space();
            let Some(c) = self.peek() else {
                if until.is_some() {
                    self.unknown.push("an unclosed `{`".into());
                }
                return atoms;
            };
            if Some(c) == until {
                self.pos += 1;
                return atoms;
            }
            if c == '}' {
                // An unbalanced `}` at the top: the caller reports it.
                return atoms;
            }
            if c == '^' || c == '_' {
                self.pos += 1;
                let script = self.argument(depth + 1, true);
                if atoms.is_empty() {
                    atoms.push(Atom::new(Class::Ord, Vec::new()));
                }
                if let Some(atom) = atoms.last_mut() {
                    let slot = if c == '^' {
                        &mut atom.sup
                    } else {
                        &mut atom.sub
                    };
                    match slot {
                        Some(existing) => existing.extend(script),
                        None => *slot = Some(script),
                    }
                }
                continue;
            }
            if c == '\'' {
                self.pos += 1;
                let prime = Inline::Text("′".into());
                match atoms.last_mut() {
                    Some(atom) => match &mut atom.sup {
                        Some(s) => push(s, prime),
                        None => atom.sup = Some(vec![prime]),
                    },
                    None => atoms.push(Atom::new(Class::Ord, vec![prime])),
                }
                continue;
            }
            if let Some(atom) = self.atom(depth) {
                atoms.push(atom);
            }
        }
    }

    /// One argument: a group's content or a single token, rendered (`tight`: a
    /// script's).
    fn argument(&mut self, depth: usize, tight: bool) -> Vec<Inline> {
        let atoms = self.argument_atoms(depth);
        let mut out = Vec::new();
        emit(&atoms, tight, &mut out);
        out
    }

    fn argument_atoms(&mut self, depth: usize) -> Vec<Atom> {
        self.skip_space();
        match self.peek() {
            Some('{') => {
                self.pos += 1;
                self.sequence(depth + 1, Some('}'))
            }
            Some(_) => self.atom(depth + 1).into_iter().collect(),
            None => {
                self.unknown.push("a missing argument".into());
                Vec::new()
            }
        }
    }

    /// The raw text of a `{…}` argument (for `\text`), braces balanced.
    fn raw_group(&mut self) -> String {
        self.skip_space();
        if self.peek() != Some('{') {
            return self
                .peek()
                .map(|c| {
                    self.pos += 1;
                    c.to_string()
                })
                .unwrap_or_default();
        }
        self.pos += 1;
        let mut depth = 1usize;
        let mut out = String::new();
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return out;
                    }
                }
                '\\' => {
                    if let Some(n) = self.peek() {
                        self.pos += 1;
                        out.push(n);
                    }
                    continue;
                }
                _ => {}
            }
            out.push(c);
        }
        self.unknown.push("an unclosed `{`".into());
        out
    }

    /// A command name after `\`.
    fn command_name(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.pos += 1;
        }
        if self.pos == start {
            if let Some(c) = self.peek() {
                self.pos += 1;
                return c.to_string();
            }
        }
        self.chars[start..self.pos].iter().collect()
    }

    /// One atom, or nothing (a command that only changes spacing or size).
    fn atom(&mut self, depth: usize) -> Option<Atom> {
        if depth > MAX_DEPTH {
            self.unknown.push("nesting too deep".into());
            self.pos = self.chars.len();
            return None;
        }
        let c = self.peek()?;
        self.pos += 1;
        let text = |s: &str, style| vec![styled(s, style)];
        Some(match c {
            '{' => {
                let atoms = self.sequence(depth + 1, Some('}'));
                let mut out = Vec::new();
                emit(&atoms, false, &mut out);
                Atom::new(Class::Ord, out)
            }
            '\\' => return self.command(depth),
            c if c.is_ascii_digit() || c == '.' => {
                // A number is one atom: `3.14`.
                let mut s = c.to_string();
                while let Some(d) = self.peek().filter(|d| d.is_ascii_digit() || *d == '.') {
                    s.push(d);
                    self.pos += 1;
                }
                Atom::new(Class::Ord, text(&s, Style::Upright))
            }
            c if c.is_alphabetic() => Atom::new(Class::Ord, text(&c.to_string(), Style::Italic)),
            '+' => Atom::new(Class::Bin, text("+", Style::Upright)),
            '-' => Atom::new(Class::Bin, text("−", Style::Upright)),
            '*' => Atom::new(Class::Bin, text("∗", Style::Upright)),
            '/' => Atom::new(Class::Ord, text("/", Style::Upright)),
            '=' | '<' | '>' => Atom::new(Class::Rel, text(&c.to_string(), Style::Upright)),
            ':' => Atom::new(Class::Rel, text(":", Style::Upright)),
            ',' | ';' => Atom::new(Class::Punct, text(&c.to_string(), Style::Upright)),
            '(' | '[' => Atom::new(Class::Open, text(&c.to_string(), Style::Upright)),
            ')' | ']' => Atom::new(Class::Close, text(&c.to_string(), Style::Upright)),
            '|' => Atom::new(Class::Ord, text("|", Style::Upright)),
            '!' | '?' => Atom::new(Class::Close, text(&c.to_string(), Style::Upright)),
            '~' => Atom::new(Class::Space, text("\u{a0}", Style::Upright)),
            '&' | '#' | '%' | '$' => {
                self.unknown.push(format!("`{c}`"));
                return None;
            }
            c => Atom::new(Class::Ord, text(&c.to_string(), Style::Upright)),
        })
    }

    fn command(&mut self, depth: usize) -> Option<Atom> {
        let name = self.command_name();
        let name = name.as_str();
        let sym = |class, s: &str| Some(Atom::new(class, vec![Inline::Text(s.to_string())]));
        if let Some(g) = greek(name) {
            // Lowercase Greek is italic in TeX, capitals upright (TeXbook ch. 16).
            let style = if g.chars().next().is_some_and(char::is_lowercase) {
                Style::Italic
            } else {
                Style::Upright
            };
            return Some(Atom::new(Class::Ord, vec![styled(g, style)]));
        }
        if let Some((class, s)) = symbol(name) {
            return sym(class, s);
        }
        if FUNCTIONS.contains(&name) {
            return sym(Class::Op, name);
        }
        match name {
            // Spacing (TeXbook ch. 18: thin, medium, thick space).
            "," => sym(Class::Space, "\u{2006}"),
            ":" | ">" => sym(Class::Space, "\u{2005}"),
            ";" => sym(Class::Space, "\u{2004}"),
            " " => sym(Class::Space, " "),
            "quad" => sym(Class::Space, "\u{2003}"),
            "qquad" => sym(Class::Space, "\u{2003}\u{2003}"),
            "!" | "displaystyle" | "textstyle" | "scriptstyle" | "limits" | "nolimits" | "left"
            | "right" | "big" | "Big" | "bigg" | "Bigg" | "bigl" | "bigr" | "Bigl" | "Bigr"
            | "biggl" | "biggr" | "middle" => {
                // `\left.` is an empty delimiter.
                if matches!(name, "left" | "right" | "middle") && self.peek() == Some('.') {
                    self.pos += 1;
                }
                None
            }
            "{" | "lbrace" => sym(Class::Open, "{"),
            "}" | "rbrace" => sym(Class::Close, "}"),
            "%" | "$" | "#" | "&" | "_" => sym(Class::Ord, name),
            "|" | "Vert" => sym(Class::Ord, "‖"),
            "operatorname" | "mathrm" | "text" | "textrm" | "textup" | "mbox" | "mathsf"
            | "textsf" | "mathtt" | "texttt" | "textnormal" => {
                let raw = self.raw_group();
                let class = if name == "operatorname" {
                    Class::Op
                } else {
                    Class::Ord
                };
                // `\text{the $n$th root}`: `$…$` in text mode is math again (TeX), a
                // variable in italics, as pandoc's texmath reads it.
                if raw.contains('$') && !raw.contains("\\$") {
                    let parts = raw.split('$').enumerate().filter(|(_, p)| !p.is_empty());
                    let content = parts
                        .map(|(k, p)| match k % 2 {
                            1 => styled(p, Style::Italic),
                            _ => Inline::Text(p.into()),
                        })
                        .collect();
                    return Some(Atom::new(class, content));
                }
                Some(Atom::new(class, vec![Inline::Text(raw)]))
            }
            "textit" | "mathit" | "emph" => {
                let raw = self.raw_group();
                Some(Atom::new(Class::Ord, vec![styled(&raw, Style::Italic)]))
            }
            "mathbf" | "textbf" => {
                let inner = self.argument(depth + 1, false);
                Some(Atom::new(Class::Ord, vec![Inline::Strong(upright(inner))]))
            }
            "boldsymbol" | "bm" => {
                let inner = self.argument(depth + 1, false);
                Some(Atom::new(Class::Ord, vec![Inline::Strong(inner)]))
            }
            "mathbb" | "mathcal" | "mathscr" | "mathfrak" => {
                let raw = self.raw_group();
                let mapped: String = raw
                    .chars()
                    .map(|c| alphabet(name, c).unwrap_or(c))
                    .collect();
                Some(Atom::new(Class::Ord, vec![Inline::Text(mapped)]))
            }
            "frac" | "dfrac" | "tfrac" | "cfrac" => {
                let num = self.argument_atoms(depth + 1);
                let den = self.argument_atoms(depth + 1);
                let mut out = Vec::new();
                fraction_side(&num, &mut out);
                push(&mut out, Inline::Text("/".into()));
                fraction_side(&den, &mut out);
                Some(Atom::new(Class::Ord, out))
            }
            "sqrt" => {
                let mut out = Vec::new();
                self.skip_space();
                if self.peek() == Some('[') {
                    self.pos += 1;
                    let index = self.sequence(depth + 1, Some(']'));
                    let mut idx = Vec::new();
                    emit(&index, true, &mut idx);
                    out.push(Inline::Superscript(idx));
                }
                let body = self.argument_atoms(depth + 1);
                push(&mut out, Inline::Text("√".into()));
                fraction_side(&body, &mut out);
                Some(Atom::new(Class::Ord, out))
            }
            "hat" | "widehat" | "bar" | "overline" | "vec" | "dot" | "ddot" | "tilde"
            | "widetilde" | "acute" | "grave" | "breve" | "check" => {
                let mark = match name {
                    "hat" | "widehat" => '\u{302}',
                    "bar" | "overline" => '\u{304}',
                    "vec" => '\u{20d7}',
                    "dot" => '\u{307}',
                    "ddot" => '\u{308}',
                    "tilde" | "widetilde" => '\u{303}',
                    "acute" => '\u{301}',
                    "grave" => '\u{300}',
                    "breve" => '\u{306}',
                    _ => '\u{30c}',
                };
                let mut inner = self.argument(depth + 1, false);
                add_mark(&mut inner, mark);
                Some(Atom::new(Class::Ord, inner))
            }
            "not" => {
                // `\not=`, `\not\in`: the negated relation.
                self.skip_space();
                let next = self.atom(depth + 1)?;
                let negated = match plain(&next.nucleus).as_str() {
                    "=" => "≠".to_string(),
                    "∈" => "∉".to_string(),
                    "≡" => "≢".to_string(),
                    "⊂" => "⊄".to_string(),
                    s => format!("{s}\u{338}"),
                };
                sym(Class::Rel, &negated)
            }
            "bmod" => sym(Class::Bin, "mod"),
            "pmod" => {
                let inner = self.argument(depth + 1, false);
                let mut out = vec![Inline::Text("\u{2003}(mod\u{2006}".into())];
                for i in inner {
                    push(&mut out, i);
                }
                push(&mut out, Inline::Text(")".into()));
                Some(Atom::new(Class::Ord, out))
            }
            _ => {
                self.unknown.push(format!("\\{name}"));
                None
            }
        }
    }
}

/// One side of `a/b`: as it is when a single atom without scripts' spacing, else in
/// parentheses (`(a+b)/2`).
fn fraction_side(atoms: &[Atom], out: &mut Vec<Inline>) {
    let mut inner = Vec::new();
    emit(atoms, false, &mut inner);
    if atoms.len() > 1 {
        push(out, Inline::Text("(".into()));
        for i in inner {
            push(out, i);
        }
        push(out, Inline::Text(")".into()));
    } else {
        for i in inner {
            push(out, i);
        }
    }
}

/// Inlines with italic taken off (`\mathbf{x}` is upright bold).
fn upright(inlines: Vec<Inline>) -> Vec<Inline> {
    let mut out = Vec::new();
    for i in inlines {
        match i {
            Inline::Emphasis(c) => {
                for j in upright(c) {
                    push(&mut out, j);
                }
            }
            other => push(&mut out, other),
        }
    }
    out
}

/// The plain text of rendered inlines.
fn plain(inlines: &[Inline]) -> String {
    crate::model::plain_text(inlines)
}

/// A combining mark after the last character of the last text in `inlines`.
fn add_mark(inlines: &mut [Inline], mark: char) {
    match inlines.last_mut() {
        Some(Inline::Text(t)) => t.push(mark),
        Some(Inline::Emphasis(c) | Inline::Strong(c)) => add_mark(c, mark),
        _ => {}
    }
}

/// `\sin`, `\log` … : set upright, as operators.
const FUNCTIONS: &[&str] = &[
    "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
    "coth", "log", "ln", "lg", "exp", "lim", "limsup", "liminf", "max", "min", "sup", "inf", "det",
    "dim", "ker", "deg", "gcd", "arg", "hom", "Pr",
];

/// Greek letters (TeX names), `\epsilon` ϵ and `\varepsilon` ε as in TeX.
fn greek(name: &str) -> Option<&'static str> {
    Some(match name {
        "alpha" => "α",
        "beta" => "β",
        "gamma" => "γ",
        "delta" => "δ",
        "epsilon" => "ϵ",
        "varepsilon" => "ε",
        "zeta" => "ζ",
        "eta" => "η",
        "theta" => "θ",
        "vartheta" => "ϑ",
        "iota" => "ι",
        "kappa" => "κ",
        "lambda" => "λ",
        "mu" => "μ",
        "nu" => "ν",
        "xi" => "ξ",
        "pi" => "π",
        "varpi" => "ϖ",
        "rho" => "ρ",
        "varrho" => "ϱ",
        "sigma" => "σ",
        "varsigma" => "ς",
        "tau" => "τ",
        "upsilon" => "υ",
        "phi" => "ϕ",
        "varphi" => "φ",
        "chi" => "χ",
        "psi" => "ψ",
        "omega" => "ω",
        "Gamma" => "Γ",
        "Delta" => "Δ",
        "Theta" => "Θ",
        "Lambda" => "Λ",
        "Xi" => "Ξ",
        "Pi" => "Π",
        "Sigma" => "Σ",
        "Upsilon" => "Υ",
        "Phi" => "Φ",
        "Psi" => "Ψ",
        "Omega" => "Ω",
        _ => return None,
    })
}

/// Symbols by TeX name (The TeXbook, Appendix F) and their class.
fn symbol(name: &str) -> Option<(Class, &'static str)> {
    use Class::*;
    Some(match name {
        "infty" => (Ord, "∞"),
        "partial" => (Ord, "∂"),
        "nabla" => (Ord, "∇"),
        "forall" => (Ord, "∀"),
        "exists" => (Ord, "∃"),
        "nexists" => (Ord, "∄"),
        "emptyset" | "varnothing" => (Ord, "∅"),
        "neg" | "lnot" => (Ord, "¬"),
        "hbar" => (Ord, "ℏ"),
        "ell" => (Ord, "ℓ"),
        "Re" => (Ord, "ℜ"),
        "Im" => (Ord, "ℑ"),
        "aleph" => (Ord, "ℵ"),
        "prime" => (Ord, "′"),
        "angle" => (Ord, "∠"),
        "triangle" => (Ord, "△"),
        "top" => (Ord, "⊤"),
        "bot" => (Ord, "⊥"),
        "ldots" | "dots" | "dotsc" => (Ord, "…"),
        "cdots" | "dotsb" => (Ord, "⋯"),
        "vdots" => (Ord, "⋮"),
        "ddots" => (Ord, "⋱"),
        "degree" => (Ord, "°"),
        "dagger" => (Ord, "†"),
        "ddagger" => (Ord, "‡"),
        "S" => (Ord, "§"),
        "P" => (Ord, "¶"),
        "langle" => (Open, "⟨"),
        "rangle" => (Close, "⟩"),
        "lfloor" => (Open, "⌊"),
        "rfloor" => (Close, "⌋"),
        "lceil" => (Open, "⌈"),
        "rceil" => (Close, "⌉"),
        "vert" | "lvert" | "rvert" => (Ord, "|"),
        "lVert" | "rVert" => (Ord, "‖"),
        "backslash" | "setminus" => (Bin, "∖"),
        "pm" => (Bin, "±"),
        "mp" => (Bin, "∓"),
        "times" => (Bin, "×"),
        "div" => (Bin, "÷"),
        "cdot" => (Bin, "⋅"),
        "ast" => (Bin, "∗"),
        "star" => (Bin, "⋆"),
        "circ" => (Bin, "∘"),
        "bullet" => (Bin, "∙"),
        "cup" => (Bin, "∪"),
        "cap" => (Bin, "∩"),
        "wedge" | "land" => (Bin, "∧"),
        "vee" | "lor" => (Bin, "∨"),
        "oplus" => (Bin, "⊕"),
        "otimes" => (Bin, "⊗"),
        "odot" => (Bin, "⊙"),
        "leq" | "le" => (Rel, "≤"),
        "geq" | "ge" => (Rel, "≥"),
        "neq" | "ne" => (Rel, "≠"),
        "approx" => (Rel, "≈"),
        "equiv" => (Rel, "≡"),
        "sim" => (Rel, "∼"),
        "simeq" => (Rel, "≃"),
        "cong" => (Rel, "≅"),
        "propto" => (Rel, "∝"),
        "in" => (Rel, "∈"),
        "notin" => (Rel, "∉"),
        "ni" => (Rel, "∋"),
        "subset" => (Rel, "⊂"),
        "supset" => (Rel, "⊃"),
        "subseteq" => (Rel, "⊆"),
        "supseteq" => (Rel, "⊇"),
        "to" | "rightarrow" | "longrightarrow" => (Rel, "→"),
        "gets" | "leftarrow" | "longleftarrow" => (Rel, "←"),
        "leftrightarrow" | "longleftrightarrow" => (Rel, "↔"),
        "Rightarrow" | "Longrightarrow" | "implies" => (Rel, "⇒"),
        "Leftarrow" | "Longleftarrow" | "impliedby" => (Rel, "⇐"),
        "Leftrightarrow" | "Longleftrightarrow" | "iff" => (Rel, "⇔"),
        "mapsto" | "longmapsto" => (Rel, "↦"),
        "ll" => (Rel, "≪"),
        "gg" => (Rel, "≫"),
        "mid" => (Rel, "∣"),
        "parallel" => (Rel, "∥"),
        "perp" => (Rel, "⊥"),
        "prec" => (Rel, "≺"),
        "succ" => (Rel, "≻"),
        "vdash" => (Rel, "⊢"),
        "models" => (Rel, "⊨"),
        "sum" => (Op, "∑"),
        "prod" => (Op, "∏"),
        "coprod" => (Op, "∐"),
        "int" => (Op, "∫"),
        "iint" => (Op, "∬"),
        "oint" => (Op, "∮"),
        "bigcup" => (Op, "⋃"),
        "bigcap" => (Op, "⋂"),
        _ => return None,
    })
}

/// A letter in one of TeX's math alphabets, as Unicode's Mathematical Alphanumeric
/// Symbols (Unicode §22.2), taking the Letterlike Symbols the block leaves out (ℝ, ℬ …).
fn alphabet(font: &str, c: char) -> Option<char> {
    let exceptions: &[(char, char)] = match font {
        "mathbb" => &[
            ('C', 'ℂ'),
            ('H', 'ℍ'),
            ('N', 'ℕ'),
            ('P', 'ℙ'),
            ('Q', 'ℚ'),
            ('R', 'ℝ'),
            ('Z', 'ℤ'),
        ],
        "mathcal" | "mathscr" => &[
            ('B', 'ℬ'),
            ('E', 'ℰ'),
            ('F', 'ℱ'),
            ('H', 'ℋ'),
            ('I', 'ℐ'),
            ('L', 'ℒ'),
            ('M', 'ℳ'),
            ('R', 'ℛ'),
            ('e', 'ℯ'),
            ('g', 'ℊ'),
            ('o', 'ℴ'),
        ],
        _ => &[('C', 'ℭ'), ('H', 'ℌ'), ('I', 'ℑ'), ('R', 'ℜ'), ('Z', 'ℨ')],
    };
    if let Some((_, u)) = exceptions.iter().find(|(a, _)| *a == c) {
        return Some(*u);
    }
    let (upper, lower) = match font {
        "mathbb" => (0x1D538, 0x1D552),
        "mathcal" | "mathscr" => (0x1D49C, 0x1D4B6),
        _ => (0x1D504, 0x1D51E),
    };
    let code = match c {
        'A'..='Z' => upper + (c as u32 - 'A' as u32),
        'a'..='z' => lower + (c as u32 - 'a' as u32),
        _ => return None,
    };
    char::from_u32(code)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The rendering as compact markup: `_x_` italic, `*x*` bold, `^{…}`, `_{…}`.
    fn show(tex: &str) -> String {
        fn go(inlines: &[Inline], out: &mut String) {
            for i in inlines {
                match i {
                    Inline::Text(t) => out.push_str(t),
                    Inline::Emphasis(c) => {
                        out.push('_');
                        go(c, out);
                        out.push('_');
                    }
                    Inline::Strong(c) => {
                        out.push('*');
                        go(c, out);
                        out.push('*');
                    }
                    Inline::Superscript(c) => {
                        out.push_str("^{");
                        go(c, out);
                        out.push('}');
                    }
                    Inline::Subscript(c) => {
                        out.push_str("_{");
                        go(c, out);
                        out.push('}');
                    }
                    other => panic!("{other:?}"),
                }
            }
        }
        let mut out = String::new();
        go(&render(tex).unwrap(), &mut out);
        out
    }

    #[test]
    fn variables_scripts_greek_and_spacing() {
        assert_eq!(show("x^2"), "_x_^{2}");
        assert_eq!(show("a_i^{n+1}"), "_a__{_i_}^{_n_+1}");
        assert_eq!(show("E = mc^2"), "_E_\u{2004}=\u{2004}_mc_^{2}");
        assert_eq!(show("\\alpha + \\Omega"), "_α_\u{2005}+\u{2005}Ω");
        assert_eq!(show("-1"), "−1");
        assert_eq!(show("f'(x)"), "_f_^{′}(_x_)");
        assert_eq!(show("\\sin x"), "sin\u{2006}_x_");
        assert_eq!(show("x \\in \\mathbb{R}"), "_x_\u{2004}∈\u{2004}ℝ");
        assert_eq!(show("\\mathbf{v}"), "*v*");
        assert_eq!(show("\\text{if } x"), "if _x_");
        // Math inside text inside math (markdown-reader-more.txt).
        assert_eq!(
            show("x = \\text{the $n$th root of $y$}"),
            "_x_\u{2004}=\u{2004}the _n_th root of _y_"
        );
        assert_eq!(show("a,b"), "_a_,\u{2006}_b_");
    }

    #[test]
    fn fractions_and_roots() {
        assert_eq!(show("\\frac{a}{b}"), "_a_/_b_");
        assert_eq!(show("\\frac{a+b}{2}"), "(_a_\u{2005}+\u{2005}_b_)/2");
        assert_eq!(show("\\sqrt{2}"), "√2");
        assert_eq!(show("\\sqrt[3]{x}"), "^{3}√_x_");
        assert_eq!(
            show("\\sum_{i=1}^n x_i"),
            "∑_{_i_=1}^{_n_}\u{2006}_x__{_i_}"
        );
    }

    #[test]
    fn the_texts_macros_are_expanded() {
        let tuple = TexMacro {
            name: "tuple".into(),
            args: 1,
            body: "\\langle #1 \\rangle".into(),
        };
        let r = TexMacro {
            name: "R".into(),
            args: 0,
            body: "\\mathbb{R}".into(),
        };
        let shown = |tex: &str| {
            let mut out = String::new();
            for i in render_with(tex, &[tuple.clone(), r.clone()]).unwrap() {
                out.push_str(&crate::model::plain_text(&[i]));
            }
            out
        };
        assert_eq!(shown("\\tuple{x,y}"), "⟨x,\u{2006}y⟩");
        assert_eq!(shown("x \\in \\R"), "x\u{2004}∈\u{2004}ℝ");
        // A macro that expands to itself stops growing.
        let me = TexMacro {
            name: "me".into(),
            args: 0,
            body: "\\me\\me".into(),
        };
        assert!(render_with("\\me", &[me]).is_err());
    }

    #[test]
    fn unknown_macros_and_bad_braces_are_reported() {
        assert_eq!(
            render("\\foo{x} + \\bar{y} \\baz").unwrap_err().unknown,
            ["\\foo", "\\baz"]
        );
        assert!(render("\\begin{matrix} a \\end{matrix}").is_err());
        assert!(render("{x").is_err());
        assert!(render("x}").is_err());
        assert!(render(&"{".repeat(10_000)).is_err());
        assert!(render(&"\\frac".repeat(10_000)).is_err());
    }
}
