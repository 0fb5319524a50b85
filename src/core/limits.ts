/**
 * Budgets for user expressions (templates, conditions, user JSON), in one place so that the API, the
 * README and error messages cite the same numbers. Each bounds a cost that grows with input a user
 * controls: save-time limits are checked before the expensive work (Handlebars' parser, recursive
 * walks), run-time limits stop a render part-way instead of building the result first.
 *
 * Plain constants and nothing else: workflow code imports this module, and every run evaluates its
 * bundle's modules afresh.
 */

/**
 * Longest template (characters) that save-time validation accepts. Handlebars parses and compiles in
 * time linear in the number of tags: 20,000 characters of back-to-back `{{a.b}}` took 0.03-0.4 s to
 * check and 0.4-1 s to compile (once per worker) on this project's 2-core machine, depending on load;
 * plain text costs next to nothing. The largest template in the Kustomer corpus has 175 characters.
 * Checked before the parser runs. Not enforced when rendering, so definitions saved before the limit
 * keep rendering as they did.
 */
export const MAX_TEMPLATE_LENGTH = 20_000;

/**
 * Deepest nesting of blocks (`{{#if}}`, `{{#each}}`...), `{{else if}}` links and subexpressions
 * `(a (b ...))` that save-time validation accepts, counted by a linear scan before the parser runs.
 * Handlebars' parser and compiler take time quadratic in this depth and overflow the stack near 1,500
 * (a 12 KB template nesting 3,000 subexpressions blocked the API for 2.9 s); real templates nest a
 * handful of levels (the Kustomer corpus: none). Not enforced when rendering, like the length.
 */
export const MAX_TEMPLATE_NESTING = 32;

/**
 * Longest string (characters) one template may render. Rendering stops with "template error: output
 * exceeds ... characters" as soon as an `{{#each}}` or a helper passes it, so a loop cannot build
 * megabytes first. Far above the largest param an action takes (a message body: 100,000 characters)
 * and 2.5 times the 400 KB a request body may carry.
 */
export const MAX_TEMPLATE_OUTPUT = 1_000_000;

/**
 * Most `{{#each}}` iterations (over all loops, nested ones multiplied out) in one render. Bounds loops
 * whose bodies render little or nothing, which the output limit cannot stop: two nested loops over a
 * 10,000-element event array would run 100 million times.
 */
export const MAX_TEMPLATE_ITERATIONS = 100_000;

/**
 * Deepest nesting of user JSON (event data, params, literals): deeper values are refused with a
 * problem on save and on `POST /v1/events`, so recursive walks over them cannot overflow the stack.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Deepest nesting of `and`/`or` conditions that evaluation and validation walk. Above what the
 * definition schema lets through (each level is two JSON levels, so `MAX_JSON_DEPTH` allows about 33),
 * so it never refuses a stored definition; it keeps a condition built in code from overflowing the
 * stack.
 */
export const MAX_CONDITION_DEPTH = 64;

/**
 * Most problems save-time validation lists. It stops checking there and says so in a last problem,
 * so a hostile definition cannot make validation (or the API's answer) large: a 159 KB definition
 * whose 1,500 transitions close a 250-step cycle listed 25 MB of problems.
 */
export const MAX_PROBLEMS = 100;

/**
 * Most templates one definition may hold, and most characters they may hold together. Each template
 * is parsed on save (about 50 µs for a tiny one, more with its tags): 30,000 small templates in a
 * 380 KB definition took 4.5 s. Far above real workflows (the Kustomer corpus: 12 templates, 1,025
 * characters in all).
 */
export const MAX_DEFINITION_TEMPLATES = 1_000;
export const MAX_DEFINITION_TEMPLATE_CHARS = 100_000;
