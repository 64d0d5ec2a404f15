import {
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';

const CONDITIONAL_ROOT =
  'A subscription must not use @skip or @include in its root selection: it has exactly one root field';

/**
 * Refuses `@skip` and `@include` in a subscription's root selection (the GraphQL specification's
 * "Single root field", graphql/graphql-spec#860; graphql-js 16 does not check it yet). Its own
 * rule counts the root fields only when there are more than one, so `deliveryEvents @skip(if:
 * true)` (or `@include(if: false)`) passed validation with none at all, and graphql-js then
 * failed on it with a TypeError: a 500 instead of an error in the stream. (With a variable as
 * the condition, graphql-js's rule already refuses the operation.)
 */
export function useUnconditionalSubscriptionRoot(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule((context: ValidationContext) => ({
        OperationDefinition(node: OperationDefinitionNode) {
          if (node.operation !== 'subscription') return;
          const conditional = conditionalSelection(context, node.selectionSet, new Set());
          if (conditional)
            context.reportError(new GraphQLError(CONDITIONAL_ROOT, { nodes: [node] }));
        },
      }));
    },
  };
}

/** Whether a root selection (through its fragments) carries `@skip` or `@include`. */
function conditionalSelection(
  context: ValidationContext,
  selectionSet: SelectionSetNode,
  seen: Set<string>,
): boolean {
  for (const selection of selectionSet.selections) {
    if (
      selection.directives?.some(
        (directive) => directive.name.value === 'skip' || directive.name.value === 'include',
      )
    ) {
      return true;
    }
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (conditionalSelection(context, selection.selectionSet, seen)) return true;
    } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
      // A fragment cycle is NoFragmentCyclesRule's to report; it must not loop here.
      const name = selection.name.value;
      const fragment = seen.has(name) ? undefined : context.getFragment(name);
      seen.add(name);
      if (fragment && conditionalSelection(context, fragment.selectionSet, seen)) return true;
    }
  }
  return false;
}
