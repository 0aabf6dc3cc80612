import {
  ALL_OPERATORS,
  at,
  checkQueryValue,
  FIELD_OPERATORS,
  FIXED_FIELDS,
  MAX_ATTRIBUTE_NAME_LENGTH,
  MAX_QUERY_LENGTH,
  OPERATOR_SYMBOLS,
  QuerySyntaxError,
  SUBJECT_LIST,
  type QueryComparison,
  type QueryField,
  type QueryNode,
  type QueryOperator,
  type QueryValue,
} from './query-syntax.js';

export { formatQuery } from './query-syntax.js';

/**
 * Parses an ECS cluster query language expression into a tree, or throws a `QuerySyntaxError`
 * pointing at the offending character. Grammar (keywords and operator words in any case):
 *
 *   expression := conjunction (('or' | '||') conjunction)*
 *   conjunction := unary (('and' | '&&') unary)*
 *   unary      := ('not' | '!') unary | '(' expression ')' | comparison
 *   comparison := subject operator [argument]
 *   subject    := 'attribute:' name | 'task:group' | 'agentConnected' | 'agentVersion'
 *               | 'ec2InstanceId' | 'registeredAt' | 'runningTasksCount'
 *   argument   := value                      for ==, !=, >, >=, <, <=, =~, !~
 *               | '[' value (',' value)* ']'  for in, !in
 *               | (none)                     for exists, !exists
 *   value      := 'quoted' | "quoted" | bare  (bare: up to a space, ( ), a quote, && or || —
 *                                             and in a list also [ ] and ,)
 *
 * `not` binds tightest, then `and`, then `or`. Values are checked against their subject: a whole
 * number for runningTasksCount, a dotted version for agentVersion, one of ECS's date formats for
 * registeredAt, true/false for agentConnected, a valid pattern for =~ and !~.
 */
export function parseQuery(expression: string): QueryNode {
  if (expression.length > MAX_QUERY_LENGTH) {
    throw new QuerySyntaxError(
      `the expression is ${expression.length} characters long; at most ${MAX_QUERY_LENGTH} are allowed (it goes past the limit ${at(MAX_QUERY_LENGTH)})`,
      MAX_QUERY_LENGTH,
    );
  }
  const parser = new Parser(expression);
  parser.skipSpace();
  if (parser.atEnd()) {
    throw new QuerySyntaxError(`the expression is empty: expected a subject such as ${SUBJECT_LIST}`, 0);
  }
  const tree = parser.expression();
  parser.skipSpace();
  if (!parser.atEnd()) parser.failJoin();
  return tree;
}

const WORD = /[A-Za-z0-9_]/;
/** Characters of a subject: attribute names take letters, digits, - _ . / \ (ECS's rule). */
const SUBJECT_CHAR = /[A-Za-z0-9_\-./\\:]/;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_\-./\\]+$/;
/** Where an unquoted value ends: brackets and commas belong to a single value (`=~ t2.[ms].*`), not to a list's. */
const VALUE_STOP = /[\s()'"]/;
const LIST_VALUE_STOP = /[\s()[\],'"]/;
const OPERATOR_LIST = '==, !=, >, >=, <, <=, exists, !exists, in, !in, =~ or !~';
const SYMBOLS_LONGEST_FIRST: readonly [string, QueryOperator][] = ALL_OPERATORS.filter(
  (op) => !/^[a-z]/.test(OPERATOR_SYMBOLS[op]),
)
  .map((op): [string, QueryOperator] => [OPERATOR_SYMBOLS[op], op])
  .sort((a, b) => b[0].length - a[0].length);

class Parser {
  private pos = 0;
  /** The last value read, for the "quote values with spaces" hint. */
  private lastValueEnd = -1;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] ?? '')) this.pos++;
  }

  expression(): QueryNode {
    return this.junction('or', '||', () => this.junction('and', '&&', () => this.unary()));
  }

  /** Throws for whatever stands where `and`, `or`, `)` or the end should be. */
  failJoin(): never {
    const found = this.peekToken();
    if (found === ')') {
      throw new QuerySyntaxError(`unexpected ')' ${at(this.pos)}: there is no '(' to close`, this.pos);
    }
    const afterValue =
      this.lastValueEnd >= 0 &&
      this.lastValueEnd <= this.pos &&
      this.text.slice(this.lastValueEnd, this.pos).trim() === '';
    const hint = afterValue
      ? ` (quote a value that has spaces, parentheses, brackets or commas: 'like this')`
      : '';
    throw new QuerySyntaxError(
      `expected 'and', 'or' or the end of the expression ${at(this.pos)}, found '${found}'${hint}`,
      this.pos,
    );
  }

  private junction(word: 'and' | 'or', symbol: string, next: () => QueryNode): QueryNode {
    const start = this.pos;
    const operands = [next()];
    for (;;) {
      this.skipSpace();
      const joinAt = this.pos;
      if (!this.takeKeyword(word) && !this.takeSymbol(symbol)) break;
      this.skipSpace();
      if (this.atEnd()) {
        const written = this.text.slice(joinAt, joinAt + word.length);
        throw new QuerySyntaxError(`expected an expression after '${written}' ${at(this.pos)}`, this.pos);
      }
      operands.push(next());
    }
    return operands.length === 1 ? (operands[0] as QueryNode) : { kind: word, operands, position: start };
  }

  private unary(): QueryNode {
    this.skipSpace();
    const start = this.pos;
    if (this.takeKeyword('not') || this.takeNot()) {
      const written = this.text.slice(start, this.pos);
      this.skipSpace();
      if (this.atEnd()) {
        throw new QuerySyntaxError(`expected an expression after '${written}' ${at(this.pos)}`, this.pos);
      }
      return { kind: 'not', operand: this.unary(), position: start };
    }
    if (this.text[this.pos] === '(') {
      this.pos++;
      this.skipSpace();
      if (this.text[this.pos] === ')') {
        throw new QuerySyntaxError(`expected an expression inside '()' ${at(this.pos)}`, this.pos);
      }
      const inner = this.expression();
      this.skipSpace();
      if (this.atEnd()) {
        throw new QuerySyntaxError(
          `the '(' ${at(start)} is never closed: expected ')' ${at(this.pos)}`,
          this.pos,
        );
      }
      if (this.text[this.pos] !== ')') this.failJoin();
      this.pos++;
      return inner;
    }
    return this.comparison();
  }

  private comparison(): QueryComparison {
    const start = this.pos;
    const { field, attribute } = this.subject();
    const subjectText = this.text.slice(start, this.pos);
    this.skipSpace();
    const opAt = this.pos;
    const operator = this.operator(subjectText);
    const opText = this.text.slice(opAt, this.pos);
    if (!FIELD_OPERATORS[field].includes(operator)) {
      const valid = FIELD_OPERATORS[field].map((op) => OPERATOR_SYMBOLS[op]).join(', ');
      throw new QuerySyntaxError(
        `'${opText}' ${at(opAt)} does not apply to ${field}; use one of ${valid}`,
        opAt,
      );
    }
    let values: QueryValue[];
    if (operator === 'exists' || operator === 'not_exists') {
      values = [];
      this.skipSpace();
      const c = this.text[this.pos];
      if (c !== undefined && c !== ')' && !this.atJoin()) {
        throw new QuerySyntaxError(
          `'${opText}' takes no value, but '${this.peekToken()}' follows ${at(this.pos)}`,
          this.pos,
        );
      }
    } else if (operator === 'in' || operator === 'not_in') {
      values = this.list(opText);
    } else {
      values = [this.value(`'${opText}'`)];
    }
    for (const v of values) checkQueryValue(field, operator, v);
    return {
      kind: 'compare',
      field,
      ...(attribute !== undefined ? { attribute } : {}),
      operator,
      values,
      position: start,
    };
  }

  private subject(): { field: QueryField; attribute?: string } {
    const start = this.pos;
    while (!this.atEnd() && SUBJECT_CHAR.test(this.text[this.pos] ?? '')) this.pos++;
    const word = this.text.slice(start, this.pos);
    if (word === '') {
      const found = this.atEnd() ? 'the end of the expression' : `'${this.peekToken()}'`;
      throw new QuerySyntaxError(`expected a subject (${SUBJECT_LIST}) ${at(start)}, found ${found}`, start);
    }
    if (word.toLowerCase().startsWith('attribute:')) {
      const name = word.slice('attribute:'.length);
      const nameAt = start + 'attribute:'.length;
      if (name === '') {
        throw new QuerySyntaxError(`expected an attribute name after 'attribute:' ${at(nameAt)}`, nameAt);
      }
      if (!ATTRIBUTE_NAME.test(name)) {
        const bad = nameAt + [...name].findIndex((c) => !ATTRIBUTE_NAME.test(c));
        throw new QuerySyntaxError(
          `'${this.text[bad] ?? ''}' ${at(bad)} cannot be part of an attribute name (letters, digits, '-', '_', '.', '/' and '\\')`,
          bad,
        );
      }
      if (name.length > MAX_ATTRIBUTE_NAME_LENGTH) {
        throw new QuerySyntaxError(
          `the attribute name ${at(nameAt)} is ${name.length} characters long; at most ${MAX_ATTRIBUTE_NAME_LENGTH} are allowed`,
          nameAt,
        );
      }
      return { field: 'attribute', attribute: name };
    }
    const field = FIXED_FIELDS.find((f) => f.toLowerCase() === word.toLowerCase());
    if (field === undefined) {
      throw new QuerySyntaxError(`unknown subject '${word}' ${at(start)}: use ${SUBJECT_LIST}`, start);
    }
    return { field };
  }

  private operator(subjectText: string): QueryOperator {
    const start = this.pos;
    for (const [symbol, op] of SYMBOLS_LONGEST_FIRST) {
      if (
        this.text.startsWith(symbol, start) &&
        (!/[a-z]$/.test(symbol) || this.boundaryAt(start + symbol.length))
      ) {
        this.pos += symbol.length;
        return op;
      }
    }
    const word = /^[A-Za-z_]+/.exec(this.text.slice(start))?.[0] ?? '';
    const op = ALL_OPERATORS.find((o) => o === word.toLowerCase());
    if (op !== undefined && this.boundaryAt(start + word.length)) {
      this.pos += word.length;
      return op;
    }
    const found = this.atEnd() ? 'the end of the expression' : `'${this.peekToken()}'`;
    const hint = this.text[start] === '=' ? " (equality is '==')" : '';
    throw new QuerySyntaxError(
      `expected an operator (${OPERATOR_LIST}) after '${subjectText}' ${at(start)}, found ${found}${hint}`,
      start,
    );
  }

  private list(opText: string): QueryValue[] {
    this.skipSpace();
    if (this.text[this.pos] !== '[') {
      const found = this.atEnd() ? 'the end of the expression' : `'${this.peekToken()}'`;
      throw new QuerySyntaxError(
        `expected '[' to open the list of values after '${opText}' ${at(this.pos)}, found ${found} (write ${opText} [a, b])`,
        this.pos,
      );
    }
    const open = this.pos++;
    const values: QueryValue[] = [this.value("'['", true)];
    for (;;) {
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === ']') {
        this.pos++;
        return values;
      }
      if (c === ',') {
        this.pos++;
        values.push(this.value("','", true));
        continue;
      }
      if (c === undefined) {
        throw new QuerySyntaxError(
          `the list opened ${at(open)} is never closed: expected ']' ${at(this.pos)}`,
          this.pos,
        );
      }
      throw new QuerySyntaxError(
        `expected ',' or ']' in the list ${at(this.pos)}, found '${this.peekToken()}'`,
        this.pos,
      );
    }
  }

  /** One value; `after` names what it follows, for the message when it is missing. */
  private value(after: string, inList = false): QueryValue {
    this.skipSpace();
    const start = this.pos;
    const quote = this.text[start];
    if (quote === "'" || quote === '"') {
      const close = this.text.indexOf(quote, start + 1);
      if (close < 0) {
        throw new QuerySyntaxError(`the quote ${at(start)} is never closed: expected ${quote}`, start);
      }
      if (close === start + 1) throw new QuerySyntaxError(`empty value ${at(start)} after ${after}`, start);
      this.pos = close + 1;
      this.lastValueEnd = this.pos;
      return { text: this.text.slice(start + 1, close), position: start + 1 };
    }
    const stop = inList ? LIST_VALUE_STOP : VALUE_STOP;
    while (!this.atEnd() && !stop.test(this.text[this.pos] ?? '') && !this.atJoinSymbol()) this.pos++;
    if (this.pos === start) {
      const found = this.atEnd() ? '' : `, found '${this.peekToken()}'`;
      const where = inList ? ' in the list' : '';
      throw new QuerySyntaxError(`expected a value${where} after ${after} ${at(start)}${found}`, start);
    }
    this.lastValueEnd = this.pos;
    return { text: this.text.slice(start, this.pos), position: start };
  }

  private takeKeyword(word: string): boolean {
    const end = this.pos + word.length;
    if (this.text.slice(this.pos, end).toLowerCase() !== word || !this.boundaryAt(end)) return false;
    this.pos = end;
    return true;
  }

  private takeSymbol(symbol: string): boolean {
    if (!this.text.startsWith(symbol, this.pos)) return false;
    this.pos += symbol.length;
    return true;
  }

  /** `!` as negation (not the start of !=, !~, !in or !exists, which cannot open a term anyway). */
  private takeNot(): boolean {
    if (this.text[this.pos] !== '!' || /^[=~]/.test(this.text.slice(this.pos + 1))) return false;
    this.pos++;
    return true;
  }

  private atJoin(): boolean {
    const rest = this.text.slice(this.pos);
    return this.atJoinSymbol() || /^(and|or)(?![A-Za-z0-9_\-./\\:])/i.test(rest);
  }

  private atJoinSymbol(): boolean {
    return this.text.startsWith('&&', this.pos) || this.text.startsWith('||', this.pos);
  }

  private boundaryAt(index: number): boolean {
    return !WORD.test(this.text[index] ?? '');
  }

  /** What stands at the cursor, for messages: a word, or one character. */
  private peekToken(): string {
    const rest = this.text.slice(this.pos);
    return (/^[^\s()[\],'"]+/.exec(rest)?.[0] ?? rest.charAt(0)).slice(0, 40);
  }
}
