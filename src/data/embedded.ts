/**
 * The datasets shipped in data/, each described once: where it lives, its label and id columns, and the
 * row → text template recommended for it. A template belongs to a dataset's columns, not to a preset, so
 * presets say `template: auto` and the data pipeline picks the recommendation of whatever it trains on.
 */
import { realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface EmbeddedDataset {
  name: string;
  /** Absolute path of the training CSV. */
  trainPath: string;
  labelColumn: string;
  /** Row id column (kept for predictions, never rendered), or null. */
  idColumn: string | null;
  /** What `template: auto` renders rows with (syntax in template.ts); null: the "name: value" default. */
  recommendedTemplate: string | null;
}

const dataDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'data');

/** The Kaggle Titanic training set (891 rows), the default when no trainPath is given. */
export const TITANIC: EmbeddedDataset = {
  name: 'titanic',
  trainPath: resolve(dataDir, 'titanic', 'train.csv'),
  labelColumn: 'Survived',
  idColumn: 'PassengerId',
  // Rows as words a tokenizer trained from scratch can learn: the title from the name (it carries sex, age
  // and rank at once), age and fare as ranges (raw numbers split into arbitrary word pieces), the deck
  // letter of the cabin. Ticket numbers and surnames are left out: nearly unique per row, they are noise to
  // a small model. With the "name: value" default, fold 3 of the standard preset's 5-fold run stayed at
  // 0.73-0.77 under every setting tried.
  recommendedTemplate:
    '{Sex}, {Name:match(([A-Za-z]+)\\.)|no title}, class {Pclass}, age {Age:bin(child<13, teen<18, young<30, adult<50, older)|unknown}, fare {Fare:bin(cheap<8, low<15, mid<30, high<70, luxury)}, siblings {SibSp}, parents {Parch}, [deck {Cabin:match(^([A-Z]))}, ]port {Embarked|unknown}',
};

export const TITANIC_TRAIN_PATH = TITANIC.trainPath;

export const EMBEDDED_DATASETS: readonly EmbeddedDataset[] = [TITANIC];

/**
 * The `data.template` keyword for "the recommended template of the dataset being trained". A template
 * without a {Column} placeholder would render the same text for every row, so no real template is lost.
 */
export const AUTO_TEMPLATE = 'auto';

/** The path with symlinks, `.` and `..` resolved; just made absolute when it does not exist (reading it fails later, with the file named). */
function canonicalPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** The embedded dataset stored at `path` however the path is written (relative, through a symlink), or null. */
export function embeddedDatasetAt(path: string): EmbeddedDataset | null {
  const target = canonicalPath(path);
  return EMBEDDED_DATASETS.find((d) => canonicalPath(d.trainPath) === target) ?? null;
}

/**
 * A configured template as the pipeline uses it: `auto` becomes the recommended template of the dataset
 * at trainPath, or null ("name: value" pairs) when it has none; a template string or null is kept.
 */
export function resolveTemplate(template: string | null, trainPath: string): string | null {
  if (template !== AUTO_TEMPLATE) return template;
  return embeddedDatasetAt(trainPath)?.recommendedTemplate ?? null;
}

/**
 * The `data.labelColumn` / `data.idColumn` keyword for "the column of a known dataset, when the CSV has
 * it": Survived / PassengerId for Titanic data (embedded or Kaggle's own file). Another CSV gets no id
 * column and must name its label column.
 */
export const AUTO_COLUMN = 'auto';

/** idColumn as the pipeline uses it: `auto` resolved against the CSV's header, anything else as given. */
export function resolveIdColumn(idColumn: string | null, columns: readonly string[]): string | null {
  if (idColumn !== AUTO_COLUMN || columns.includes(AUTO_COLUMN)) return idColumn;
  return knownColumn('idColumn', columns);
}

/** labelColumn as the pipeline uses it: `auto` resolved against the header; null when no known label column is there. */
export function resolveLabelColumn(labelColumn: string, columns: readonly string[]): string | null {
  if (labelColumn !== AUTO_COLUMN || columns.includes(AUTO_COLUMN)) return labelColumn;
  return knownColumn('labelColumn', columns);
}

function knownColumn(role: 'idColumn' | 'labelColumn', columns: readonly string[]): string | null {
  return EMBEDDED_DATASETS.map((d) => d[role]).find((c): c is string => c !== null && columns.includes(c)) ?? null;
}
