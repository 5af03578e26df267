export {
  loadTemplates,
  SHIPPED_TEMPLATES,
  TEMPLATE_COMPLEXITIES,
  type Template,
  type TemplateComplexity,
  templateOf,
} from './templates.ts';
