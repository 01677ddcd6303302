/** Readable run names in MLflow's "adjective-noun-NNN" form, e.g. `brisk-heron-417`. */
import { randomInt } from 'node:crypto';

// Our own word lists; only the shape of the name follows MLflow.
const ADJECTIVES = [
  'amber', 'bold', 'brisk', 'calm', 'clever', 'crisp', 'daring', 'deft', 'eager', 'fleet', 'gentle', 'glad',
  'golden', 'grand', 'hardy', 'honest', 'humble', 'keen', 'kind', 'lively', 'loyal', 'lucid', 'mellow', 'merry',
  'nimble', 'noble', 'patient', 'placid', 'plucky', 'proud', 'quick', 'quiet', 'rapid', 'serene', 'sharp', 'shy',
  'silent', 'sleek', 'smooth', 'snowy', 'steady', 'stoic', 'sunny', 'swift', 'tidy', 'upbeat', 'vivid', 'warm',
  'wise', 'witty', 'zesty', 'agile', 'bright', 'cosmic', 'dapper', 'earnest', 'fearless', 'gallant',
] as const;

const NOUNS = [
  'badger', 'beacon', 'birch', 'bison', 'brook', 'canyon', 'cedar', 'comet', 'condor', 'coral', 'crane', 'delta',
  'dune', 'eagle', 'ember', 'falcon', 'fern', 'finch', 'fjord', 'fox', 'glacier', 'grove', 'harbor', 'hawk',
  'heron', 'island', 'jaguar', 'kestrel', 'lagoon', 'lark', 'lynx', 'maple', 'marten', 'meadow', 'mesa', 'moose',
  'nebula', 'oak', 'orca', 'otter', 'owl', 'panda', 'pebble', 'pine', 'quail', 'raven', 'reef', 'ridge', 'river',
  'robin', 'sparrow', 'spruce', 'summit', 'tern', 'thistle', 'tundra', 'valley', 'walrus', 'willow', 'wren',
] as const;

export function generateRunName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}-${randomInt(1000)}`;
}
