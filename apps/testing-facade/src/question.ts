import { z } from 'zod';

/**
 * A question from the AMWA NMOS Testing Tool (testingfacade/APIs/schemas/question-schema.json), or its
 * `{"clear": "True"}` at the end of a suite. Only what the façade reads is required beyond the schema's
 * own required fields; `name` is not held to the schema's `^test_` pattern because the tool sends
 * `pre_tests_message` / `post_tests_message` there too.
 */
const Resource = z.object({ id: z.string().min(1), label: z.string().optional(), description: z.string().optional() });

const PossibleAnswer = z.object({ answer_id: z.string().min(1), display_answer: z.string().optional(), resource: Resource });

export const QuestionSchema = z.object({
  test_type: z.enum(['single_choice', 'multi_choice', 'action']),
  question_id: z.string().min(1),
  name: z.string().min(1),
  description: z.string(),
  question: z.string(),
  answers: z.array(PossibleAnswer).nullable(),
  timeout: z.number().positive(),
  answer_uri: z.url({ protocol: /^https?$/ }),
  metadata: z.object({ test_class: z.string().optional(), sender: Resource.optional(), receiver: Resource.optional() }).passthrough().nullable(),
});

export type Question = z.infer<typeof QuestionSchema>;
export type PossibleAnswer = z.infer<typeof PossibleAnswer>;

/** What goes back to `answer_uri` (answer-schema.json): an answer id, a list of them, or null for an action. */
export type AnswerResponse = string | string[] | null;

export const ClearSchema = z.object({ clear: z.literal('True') });

/** The field the tool got wrong, for a 400 that names it (as the Question API's RAML asks). */
export function describeProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue.path.join('.') || 'body'}: ${issue.message}`;
}
